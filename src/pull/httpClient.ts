/**
 * GET with redirects followed by hand, so that the rules of a model download hold on
 * every hop:
 * - credentials (HF_TOKEN) go only to the origin they are for: a redirect to a content
 *   host (Hugging Face's CDN) never carries them;
 * - plain http:// only to loopback addresses or the origin the user configured;
 * - the first hop's `X-Linked-Etag` / `X-Linked-Size` (Hugging Face's announcement of an
 *   LFS file's SHA-256 and size, on the resolve URL's redirect) are kept.
 */
import { isLoopbackHost } from "../store/modelReference.js";

export interface HttpGetOptions {
  signal: AbortSignal;
  /** Extra request headers, for example `Range`. */
  headers?: Record<string, string>;
  /** Sent as `Authorization` to `origin` only. */
  credentials?: { origin: string; authorization: string } | undefined;
  /** An origin that may be plain http:// although it is not loopback (a configured HF_ENDPOINT). */
  trustedOrigin?: string | undefined;
}

export interface HttpGetResult {
  /** The final response (not a redirect). Its body is unread. */
  response: Response;
  /** The SHA-256 a hop announced in `X-Linked-Etag` (lower-case hex), if any. */
  linkedSha256: string | undefined;
  /** The size a hop announced in `X-Linked-Size`, if any. */
  linkedSize: number | undefined;
}

/** Most redirects followed before giving up. */
export const maxRedirects = 10;

/** A failure before any response: a refused connection or a DNS error (worth retrying), a refused protocol or a redirect loop (not). */
export class HttpRequestError extends Error {
  override readonly name = "HttpRequestError";
  readonly retryable: boolean;

  constructor(message: string, options: { cause?: unknown; retryable: boolean }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.retryable = options.retryable;
  }
}

export async function httpGet(url: URL, options: HttpGetOptions): Promise<HttpGetResult> {
  let current = url;
  let linkedSha256: string | undefined;
  let linkedSize: number | undefined;
  for (let hop = 0; hop <= maxRedirects; hop++) {
    checkProtocol(current, options.trustedOrigin);
    const headers: Record<string, string> = { "User-Agent": "mullama", ...options.headers };
    if (options.credentials !== undefined && current.origin === options.credentials.origin) headers.Authorization = options.credentials.authorization;
    let response: Response;
    try {
      response = await fetch(current, { headers, redirect: "manual", signal: options.signal });
    } catch (error) {
      if (options.signal.aborted) throw error;
      throw new HttpRequestError(`cannot reach ${current.origin} (${describeFetchError(error)})`, { cause: error, retryable: true });
    }
    linkedSha256 ??= sha256FromEtag(response.headers.get("x-linked-etag"));
    linkedSize ??= sizeFromHeader(response.headers.get("x-linked-size"));
    const location = response.headers.get("location");
    if (response.status < 300 || response.status >= 400 || location === null) return { response, linkedSha256, linkedSize };
    await response.body?.cancel().catch(() => undefined);
    try {
      current = new URL(location, current);
    } catch {
      throw new HttpRequestError(`${current.origin} redirected to an invalid URL`, { retryable: false });
    }
  }
  throw new HttpRequestError(`more than ${maxRedirects} redirects, starting at ${url.origin}`, { retryable: false });
}

function checkProtocol(url: URL, trustedOrigin: string | undefined): void {
  if (url.protocol === "https:") return;
  if (url.protocol === "http:" && (isLoopbackHost(url.hostname) || url.origin === trustedOrigin)) return;
  throw new HttpRequestError(`refusing to download over ${url.protocol}// from ${url.host}: only https:// (http:// to loopback addresses)`, { retryable: false });
}

/** `"sha256hex"` or `W/"..."`: an LFS ETag is the file's SHA-256; anything else is not one. */
export function sha256FromEtag(etag: string | null): string | undefined {
  const value = etag?.replace(/^W\//, "").replace(/"/g, "").trim().toLowerCase();
  return value !== undefined && /^[0-9a-f]{64}$/.test(value) ? value : undefined;
}

export function sizeFromHeader(value: string | null): number | undefined {
  if (value === null || !/^\d+$/.test(value.trim())) return undefined;
  const size = Number(value);
  return Number.isSafeInteger(size) ? size : undefined;
}

/** undici hides the system error (ECONNREFUSED, ENOTFOUND) in `cause`. */
export function describeFetchError(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  if (typeof cause?.code === "string") return cause.code;
  if (typeof cause?.message === "string") return cause.message;
  return error instanceof Error ? error.message : String(error);
}
