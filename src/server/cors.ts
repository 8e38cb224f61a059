/**
 * Cross-origin access from browsers. Closed by default: no CORS headers, so a web page on
 * another origin cannot read any answer. Allowed origins (or "*") get the headers and
 * their preflight requests are answered here, before the API key check (browsers send
 * preflights without credentials).
 *
 * WebSockets are not covered by CORS, so the upgrade checks `Origin` itself: without this
 * any web page a user visits could drive a server on their loopback interface.
 */
import type { FastifyReply, FastifyRequest } from "fastify";

const allowedMethods = "GET, POST, DELETE, OPTIONS";
/** Always allowed; an allowed origin may also send any other header its preflight asks for. */
const baseAllowedHeaders = "Authorization, Content-Type, X-Api-Key";
/** A header list as browsers send it in Access-Control-Request-Headers: HTTP tokens separated by commas. */
const headerList = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+(?:\s*,\s*[!#$%&'*+.^_`|~0-9A-Za-z-]+)*$/;
/** How long browsers may cache a preflight answer, in seconds. */
const preflightMaxAgeSeconds = 600;

export class CorsPolicy {
  readonly #origins: ReadonlySet<string>;
  readonly #anyOrigin: boolean;

  constructor(origins: readonly string[]) {
    this.#origins = new Set(origins.map(normalizeOrigin));
    this.#anyOrigin = this.#origins.has("*");
  }

  /** Adds CORS headers for an allowed origin; answers a preflight and returns true when it was one. */
  handle(request: FastifyRequest, reply: FastifyReply): boolean {
    const origin = request.headers.origin;
    if (origin === undefined || !this.#allows(origin)) return false;
    reply.header("access-control-allow-origin", this.#anyOrigin ? "*" : origin);
    reply.header("vary", "Origin");
    reply.header("access-control-expose-headers", "Retry-After");
    if (request.method !== "OPTIONS" || request.headers["access-control-request-method"] === undefined) return false;
    reply.header("access-control-allow-methods", allowedMethods);
    reply.header("access-control-allow-headers", requestedHeaders(request.headers["access-control-request-headers"]));
    reply.header("access-control-max-age", String(preflightMaxAgeSeconds));
    void reply.code(204).send();
    return true;
  }

  /** A WebSocket upgrade is allowed without `Origin` (not a browser), from the server's own origin, or from an allowed one. */
  allowsWebSocket(origin: string | undefined, host: string | undefined): boolean {
    if (origin === undefined) return true;
    if (this.#allows(origin)) return true;
    try {
      return host !== undefined && new URL(origin).host === host;
    } catch {
      return false;
    }
  }

  #allows(origin: string): boolean {
    return this.#anyOrigin || this.#origins.has(normalizeOrigin(origin));
  }
}

/**
 * The headers to allow: the base ones plus whatever the preflight asks for (the official
 * `openai` package sends `x-stainless-*` headers from a browser). The origin is already
 * trusted, so its headers are; a malformed list gets only the base ones.
 */
function requestedHeaders(requested: string | string[] | undefined): string {
  const list = Array.isArray(requested) ? requested.join(", ") : (requested ?? "").trim();
  if (list === "" || list.length > 4096 || !headerList.test(list)) return baseAllowedHeaders;
  return `${baseAllowedHeaders}, ${list}`;
}

/** Origins compare without a trailing slash and case-insensitively (scheme and host are). */
function normalizeOrigin(origin: string): string {
  return origin === "*" ? origin : origin.replace(/\/+$/, "").toLowerCase();
}
