/**
 * A small Hugging Face Hub on loopback, speaking the protocol a pull uses:
 * - `GET /api/models/{user}/{repo}/tree/main?recursive=true`: the file list (`path`,
 *   `size`, `lfs.oid`), in pages linked by `Link: <...>; rel="next"` when `pageSize` is set;
 * - `GET /{user}/{repo}/resolve/main/{path}`: a 302 to a content host on ANOTHER port
 *   (another origin, as the real CDN is), with `X-Linked-Etag` (the SHA-256, quoted),
 *   `X-Linked-Size`, `ETag` and `X-Repo-Commit`;
 * - the content host: `Range: bytes=N-` (206 with `Content-Range`, 416 past the end);
 * - 404 for a repository it does not have, 401 for a private one without the token.
 * Faults are switched on per test through `faults`; every request is recorded.
 */
import { createHash } from "node:crypto";
import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface HubFile {
  readonly path: string;
  readonly data: Buffer;
}

export interface HubRepository {
  readonly files: readonly HubFile[];
  /** Answer 401 unless `Authorization: Bearer <token>` carries the hub's token. */
  readonly private?: boolean;
}

export interface HubFaults {
  /** Drop the connection after this many body bytes, on the next `times` content requests. */
  cut?: { afterBytes: number; times: number };
  /** Announce this size in X-Linked-Size (and the file list) instead of the true one. */
  announcedSize?: number;
  /** Announce this SHA-256 in X-Linked-Etag instead of the true one. */
  announcedSha256?: string;
  /** Send the body in chunks of this many bytes with a pause between them. */
  throttle?: { chunkBytes: number; pauseMs: number };
  /** No Content-Length and no X-Linked-Size: the size is unknown until the end. */
  hideSize?: boolean;
  /** Ignore Range headers (answer 200 with the whole file). */
  ignoreRange?: boolean;
  /** Serve this instead of the real bytes (with matching size and hash announced). */
  replaceContent?: Buffer;
}

export interface RecordedRequest {
  readonly host: "hub" | "content";
  readonly method: string;
  readonly url: string;
  readonly authorization: string | undefined;
  readonly range: string | undefined;
}

export interface HuggingFaceHub {
  /** The hub's base URL, for HF_ENDPOINT. */
  readonly endpoint: string;
  readonly contentOrigin: string;
  readonly requests: RecordedRequest[];
  faults: HubFaults;
  /** Entries per page of the file list; undefined sends one page. */
  pageSize: number | undefined;
  readonly repositories: Map<string, HubRepository>;
  /** Files the content host serves at `/files/<name>` as a plain web server would: an ETag that is not a hash, no X-Linked headers. */
  readonly plainFiles: Map<string, Buffer>;
  close(): Promise<void>;
}

export const hubToken = "hf_loopback_test_token";

export async function startHuggingFaceHub(repositories: Record<string, HubRepository>): Promise<HuggingFaceHub> {
  const repositoryMap = new Map(Object.entries(repositories));
  const bySha = new Map<string, Buffer>();
  const content = createServer((request, response) => serveContent(hub, bySha, request, response));
  content.keepAliveTimeout = 1;
  await listen(content);
  const contentOrigin = `http://127.0.0.1:${(content.address() as AddressInfo).port}`;
  const api = createServer((request, response) => serveHub(hub, bySha, contentOrigin, request, response));
  api.keepAliveTimeout = 1;
  await listen(api);
  const hub: HuggingFaceHub = {
    endpoint: `http://127.0.0.1:${(api.address() as AddressInfo).port}`,
    contentOrigin,
    requests: [],
    faults: {},
    pageSize: undefined,
    repositories: repositoryMap,
    plainFiles: new Map(),
    async close() {
      content.closeAllConnections();
      api.closeAllConnections();
      await Promise.all([new Promise((resolve) => content.close(resolve)), new Promise((resolve) => api.close(resolve))]);
    },
  };
  return hub;
}

async function listen(server: Server): Promise<void> {
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
}

function sha256(data: Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

function record(hub: HuggingFaceHub, host: "hub" | "content", request: IncomingMessage): void {
  hub.requests.push({ host, method: request.method ?? "GET", url: request.url ?? "/", authorization: request.headers.authorization, range: request.headers.range });
}

function served(hub: HuggingFaceHub, file: HubFile): Buffer {
  return hub.faults.replaceContent ?? file.data;
}

function serveHub(hub: HuggingFaceHub, bySha: Map<string, Buffer>, contentOrigin: string, request: IncomingMessage, response: ServerResponse): void {
  record(hub, "hub", request);
  const url = new URL(request.url ?? "/", "http://hub");
  const tree = /^\/api\/models\/([^/]+)\/([^/]+)\/tree\/main$/.exec(url.pathname);
  const resolve = /^\/([^/]+)\/([^/]+)\/resolve\/main\/(.+)$/.exec(url.pathname);
  const match = tree ?? resolve;
  if (match === null) return sendJson(response, 404, { error: "Not found" });
  const repository = hub.repositories.get(`${decodeURIComponent(match[1]!)}/${decodeURIComponent(match[2]!)}`);
  if (repository === undefined) return sendJson(response, 404, { error: "Repository not found" });
  if (repository.private && request.headers.authorization !== `Bearer ${hubToken}`) return sendJson(response, 401, { error: "Invalid username or password." });

  if (tree !== null) {
    const entries = repository.files.map((file) => {
      const data = served(hub, file);
      const size = hub.faults.announcedSize ?? data.length;
      return { type: "file", oid: createHash("sha1").update(data).digest("hex"), size, path: file.path, lfs: { oid: hub.faults.announcedSha256 ?? sha256(data), size, pointerSize: 134 } };
    });
    const start = Number(url.searchParams.get("cursor") ?? 0);
    const end = hub.pageSize === undefined ? entries.length : start + hub.pageSize;
    if (end < entries.length) response.setHeader("Link", `<${hub.endpoint}${url.pathname}?recursive=true&cursor=${end}>; rel="next"`);
    return sendJson(response, 200, entries.slice(start, end));
  }
  const path = resolve![3]!.split("/").map(decodeURIComponent).join("/");
  const file = repository.files.find((candidate) => candidate.path === path);
  if (file === undefined) return sendJson(response, 404, { error: "Entry not found" });
  const data = served(hub, file);
  const digest = sha256(data);
  bySha.set(digest, data);
  response.statusCode = 302;
  response.setHeader("Location", `${contentOrigin}/blobs/${digest}?signature=short-lived`);
  response.setHeader("ETag", `"${hub.faults.announcedSha256 ?? digest}"`);
  response.setHeader("X-Linked-Etag", `"${hub.faults.announcedSha256 ?? digest}"`);
  if (!hub.faults.hideSize) response.setHeader("X-Linked-Size", String(hub.faults.announcedSize ?? data.length));
  response.setHeader("X-Repo-Commit", "0123456789abcdef0123456789abcdef01234567");
  response.end();
}

function serveContent(hub: HuggingFaceHub, bySha: Map<string, Buffer>, request: IncomingMessage, response: ServerResponse): void {
  record(hub, "content", request);
  const pathname = new URL(request.url ?? "/", "http://content").pathname;
  const digest = /^\/blobs\/([0-9a-f]{64})$/.exec(pathname)?.[1];
  const plain = pathname.startsWith("/files/") ? hub.plainFiles.get(decodeURIComponent(pathname.slice("/files/".length))) : undefined;
  const data = plain ?? (digest === undefined ? undefined : bySha.get(digest));
  if (data === undefined) return sendJson(response, 404, { error: "Not found" });
  const etag = plain === undefined ? digest! : createHash("sha1").update(data).digest("hex");
  const { faults } = hub;
  let start = 0;
  const range = faults.ignoreRange ? null : /^bytes=(\d+)-$/.exec(request.headers.range ?? "");
  if (range !== null) {
    start = Number(range[1]);
    if (start >= data.length) {
      response.writeHead(416, { "Content-Range": `bytes */${data.length}` });
      response.end();
      return;
    }
    response.statusCode = 206;
    response.setHeader("Content-Range", `bytes ${start}-${data.length - 1}/${data.length}`);
  }
  response.setHeader("ETag", `"${etag}"`);
  response.setHeader("Accept-Ranges", "bytes");
  response.setHeader("Content-Type", "application/octet-stream");
  if (!faults.hideSize) response.setHeader("Content-Length", String(data.length - start));
  let cutAt: number | undefined;
  if (faults.cut !== undefined && faults.cut.times > 0) {
    faults.cut.times--;
    cutAt = faults.cut.afterBytes;
  }
  void sendBody(response, data.subarray(start), cutAt, faults.throttle);
}

async function sendBody(response: ServerResponse, body: Buffer, cutAt: number | undefined, throttle: HubFaults["throttle"]): Promise<void> {
  const chunkBytes = throttle?.chunkBytes ?? 64 * 1024;
  let sent = 0;
  while (sent < body.length) {
    if (response.destroyed) return;
    const end = Math.min(body.length, sent + chunkBytes, cutAt ?? Infinity);
    if (end > sent) {
      const chunk = body.subarray(sent, end);
      sent = end;
      if (!response.write(chunk)) await once(response, "drain").catch(() => undefined);
    }
    if (cutAt !== undefined && sent >= cutAt) {
      // Let the bytes reach the client, then drop the connection mid-body.
      await new Promise((resolve) => setTimeout(resolve, 20));
      response.socket?.destroy();
      return;
    }
    if (throttle !== undefined) await new Promise((resolve) => setTimeout(resolve, throttle.pauseMs));
  }
  response.end();
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) });
  response.end(text);
}
