/**
 * The chat page: `GET /` answers with the page built from web/ into dist/web/ at
 * `npm run build`, `GET /ui/<file>` with its scripts, style sheet and icon. Anyone may
 * load these without an API key (they hold no data; the page's own API calls carry the
 * key). Every answer carries a strict Content-Security-Policy: scripts only from this
 * server, no inline script, no connections elsewhere, so even a rendering mistake could
 * not run what a model writes. Files are read per request (they are a few kilobytes) and
 * revalidated by ETag, so a rebuild shows up on the next reload.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { RequestError } from "../httpErrors.js";

/** Where the build puts the page: src/server/routes and dist/server/routes are both three levels under the package root. */
const builtPageDirectory = fileURLToPath(new URL("../../../dist/web/", import.meta.url));

const contentTypes: Readonly<Record<string, string>> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  svg: "image/svg+xml",
};

/** Asset names are plain file names: no path separators, no dot files, one of the served types. */
const assetName = /^[A-Za-z0-9][A-Za-z0-9_-]*\.(js|css|svg)$/;

const contentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const pageHeaders = {
  "content-security-policy": contentSecurityPolicy,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  // Revalidate every time: a 304 costs one round trip, and a rebuilt page is never stale.
  "cache-control": "no-cache",
};

export function registerWebUiRoutes(app: FastifyInstance): void {
  const directory = builtPageDirectory;
  const open = { config: { apiKeyRequired: false } };
  app.get("/", open, (request, reply) => sendFile(request, reply, directory, "index.html"));
  app.get<{ Params: { file: string } }>("/ui/:file", open, (request, reply) => {
    if (!assetName.test(request.params.file)) throw notFound(request.params.file);
    return sendFile(request, reply, directory, request.params.file);
  });
}

async function sendFile(request: FastifyRequest, reply: FastifyReply, directory: string, name: string): Promise<FastifyReply> {
  const contents = await readFile(join(directory, name)).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== "ENOENT") throw error;
    if (name === "index.html") throw new RequestError(404, "NOT_FOUND", "The chat page is not built: run `npm run build` (or serve with --no-ui)");
    throw notFound(name);
  });
  const entityTag = `"${createHash("sha256").update(contents).digest("base64url").slice(0, 27)}"`;
  void reply.headers({ ...pageHeaders, etag: entityTag });
  if (matchesEntityTag(request.headers["if-none-match"], entityTag)) return reply.code(304).send();
  return reply.type(contentTypes[name.slice(name.lastIndexOf(".") + 1)]!).send(contents);
}

/** `If-None-Match` holds a list of tags (weak ones prefixed `W/`) or `*`. */
function matchesEntityTag(header: string | undefined, entityTag: string): boolean {
  if (header === undefined) return false;
  return header.split(",").some((tag) => {
    const trimmed = tag.trim();
    return trimmed === "*" || trimmed.replace(/^W\//, "") === entityTag;
  });
}

function notFound(name: string): RequestError {
  return new RequestError(404, "NOT_FOUND", `The chat page has no file "${name}"`);
}
