/**
 * Hugging Face's side of a pull: the endpoint and token (the `HF_ENDPOINT` and `HF_TOKEN`
 * conventions of huggingface_hub and llama.cpp), the repository file list and the
 * resolve URLs that files download from.
 */
import { PullError } from "../errors.js";
import { describeFetchError, httpGet, HttpRequestError } from "./httpClient.js";
import { failureOfStatus } from "./httpFailure.js";

export const defaultHuggingFaceEndpoint = "https://huggingface.co";

/** The branch files are taken from. */
export const defaultRevision = "main";

export interface HuggingFaceAccess {
  /** Base URL without a trailing slash: `HF_ENDPOINT`, else https://huggingface.co. */
  readonly endpoint: URL;
  /** `Authorization` for that origin only, from `HF_TOKEN`. */
  readonly credentials: { origin: string; authorization: string } | undefined;
}

export function huggingFaceAccess(environment: NodeJS.ProcessEnv = process.env): HuggingFaceAccess {
  const endpoint = new URL((environment.HF_ENDPOINT?.trim() || defaultHuggingFaceEndpoint).replace(/\/+$/, ""));
  const token = environment.HF_TOKEN?.trim();
  return { endpoint, credentials: token ? { origin: endpoint.origin, authorization: `Bearer ${token}` } : undefined };
}

/** A file of a repository, as the file list describes it. */
export interface RepositoryFile {
  readonly path: string;
  readonly size: number | undefined;
  /** The LFS SHA-256, for files stored in LFS (every large GGUF file). */
  readonly sha256: string | undefined;
}

interface TreeEntry {
  type?: unknown;
  path?: unknown;
  size?: unknown;
  lfs?: { oid?: unknown; size?: unknown } | null;
}

/** `{endpoint}/{user}/{repo}/resolve/{revision}/{path}`: redirects to the file's content. */
export function resolveUrl(access: HuggingFaceAccess, user: string, repository: string, path: string, revision = defaultRevision): URL {
  const encodedPath = path.split("/").map(encodeURIComponent).join("/");
  return new URL(`${access.endpoint.href.replace(/\/$/, "")}/${encodeURIComponent(user)}/${encodeURIComponent(repository)}/resolve/${encodeURIComponent(revision)}/${encodedPath}`);
}

/**
 * Every file of a repository, through the tree API
 * (`/api/models/{user}/{repo}/tree/{revision}?recursive=true`, followed through its
 * `Link: <...>; rel="next"` pages). Sizes and LFS hashes come with it.
 */
export async function listRepositoryFiles(access: HuggingFaceAccess, reference: string, user: string, repository: string, signal: AbortSignal): Promise<RepositoryFile[]> {
  const base = access.endpoint.href.replace(/\/$/, "");
  let next: URL | undefined = new URL(`${base}/api/models/${encodeURIComponent(user)}/${encodeURIComponent(repository)}/tree/${defaultRevision}?recursive=true`);
  const files: RepositoryFile[] = [];
  for (let page = 0; next !== undefined; page++) {
    if (page >= 100) throw new PullError(reference, "server", "the file list has more than 100 pages");
    const response = await getListPage(access, reference, next, signal);
    let entries: unknown;
    try {
      entries = await response.json();
    } catch (error) {
      throw new PullError(reference, "server", `the file list from ${access.endpoint.host} is not JSON`, { cause: error });
    }
    if (!Array.isArray(entries)) throw new PullError(reference, "server", `the file list from ${access.endpoint.host} is not a list`);
    for (const entry of entries as TreeEntry[]) {
      if (entry.type !== "file" || typeof entry.path !== "string") continue;
      const lfsOid = typeof entry.lfs?.oid === "string" ? entry.lfs.oid.replace(/^sha256:/, "").toLowerCase() : undefined;
      files.push({
        path: entry.path,
        size: typeof entry.size === "number" ? entry.size : undefined,
        sha256: lfsOid !== undefined && /^[0-9a-f]{64}$/.test(lfsOid) ? lfsOid : undefined,
      });
    }
    next = nextPage(response.headers.get("link"), next);
  }
  return files;
}

async function getListPage(access: HuggingFaceAccess, reference: string, url: URL, signal: AbortSignal): Promise<Response> {
  let response: Response;
  try {
    ({ response } = await httpGet(url, { signal, credentials: access.credentials, trustedOrigin: access.endpoint.origin, headers: { Accept: "application/json" } }));
  } catch (error) {
    if (error instanceof HttpRequestError) throw new PullError(reference, error.retryable ? "network" : "server", `cannot list the repository's files: ${error.message}`, { cause: error });
    if (signal.aborted) throw error;
    throw new PullError(reference, "network", `cannot list the repository's files (${describeFetchError(error)})`, { cause: error });
  }
  if (response.ok) return response;
  await response.body?.cancel().catch(() => undefined);
  const failure = failureOfStatus(response.status);
  throw new PullError(reference, failure, describeRepositoryStatus(response.status, access), { httpStatus: response.status });
}

/** What a failed file-list request means on Hugging Face, which answers 401 for private and missing repositories alike. */
function describeRepositoryStatus(status: number, access: HuggingFaceAccess): string {
  const host = access.endpoint.host;
  if (status === 404) return `the repository was not found on ${host} (HTTP 404)`;
  if (status === 401 || status === 403) {
    return access.credentials === undefined
      ? `${host} refused access (HTTP ${status}): the repository is private or gated, or does not exist; set HF_TOKEN to a token that can read it`
      : `${host} refused the token in HF_TOKEN (HTTP ${status}): the repository is private or gated and the token cannot read it, or it does not exist`;
  }
  return `${host} answered HTTP ${status} to the file list request`;
}

function nextPage(link: string | null, current: URL): URL | undefined {
  const match = link === null ? null : /<([^>]+)>\s*;\s*rel="?next"?/.exec(link);
  if (match === null) return undefined;
  const next = new URL(match[1]!, current);
  // A next page on another origin would carry the token there.
  return next.origin === current.origin ? next : undefined;
}
