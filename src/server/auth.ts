/**
 * API key check. With a key configured, every route but `/health` (and the chat page's
 * files, whose routes say `apiKeyRequired: false`) needs
 * `Authorization: Bearer <key>` or `X-Api-Key: <key>`. Keys are compared as SHA-256
 * digests with `timingSafeEqual`: equal-length inputs, so neither the key's content nor
 * its length leaks through response timing.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { RequestError } from "./httpErrors.js";

declare module "fastify" {
  interface FastifyContextConfig {
    /** False on a route anyone may load without a key (the chat page: its API calls carry the key). Defaults to true. */
    apiKeyRequired?: boolean;
  }
}

/** Paths open without a key: load balancers probe health without credentials. */
const openPaths = new Set(["/health"]);

export class ApiKeyCheck {
  readonly #expected: Buffer;

  constructor(apiKey: string) {
    this.#expected = digest(apiKey);
  }

  /** Throws a 401 unless the headers carry the key (or the path is open). */
  verify(path: string, headers: IncomingHttpHeaders): void {
    if (openPaths.has(path)) return;
    const presented = presentedKey(headers);
    if (presented === undefined) {
      throw new RequestError(401, "MISSING_API_KEY", "This server needs an API key: send `Authorization: Bearer <key>` or `X-Api-Key: <key>`", {
        headers: { "www-authenticate": 'Bearer realm="mullama"' },
      });
    }
    if (!timingSafeEqual(digest(presented), this.#expected)) {
      throw new RequestError(401, "INVALID_API_KEY", "The API key is not valid", { headers: { "www-authenticate": 'Bearer realm="mullama", error="invalid_token"' } });
    }
  }
}

/**
 * A digest of the key a request presents (empty when none), to bind something the request
 * starts (a resumable stream) to whoever holds that key, without keeping the key itself.
 */
export function presentedKeyDigest(headers: IncomingHttpHeaders): string {
  const key = presentedKey(headers);
  return key === undefined ? "" : digest(key).toString("hex");
}

function presentedKey(headers: IncomingHttpHeaders): string | undefined {
  const authorization = headers.authorization;
  if (typeof authorization === "string") {
    const match = /^Bearer\s+(.+)$/i.exec(authorization.trim());
    if (match !== null) return match[1]!.trim();
  }
  const apiKey = headers["x-api-key"];
  if (typeof apiKey === "string" && apiKey.trim() !== "") return apiKey.trim();
  return undefined;
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}
