/**
 * From a reference to the files to download and the store name they go under. A
 * quantization (or none) is looked up in the repository's file list; a file reference
 * or a URL needs no request. A split set is planned whole, whichever part was named.
 */
import { InvalidArgumentError, PullError } from "../errors.js";
import { huggingFaceFileName, huggingFaceTagName, storeNameOf, type HuggingFaceReference, type ModelReference } from "../store/modelReference.js";
import { fileMatchesTag, preferredQuantization, quantizationOfFileName } from "../store/quantization.js";
import { splitSetOf } from "../store/splitFiles.js";
import { huggingFaceAccess, listRepositoryFiles, resolveUrl, type HuggingFaceAccess, type RepositoryFile } from "./huggingFace.js";

export interface PlannedFile {
  /** Its name in the model's directory: the file's own name, so split sets load. */
  readonly name: string;
  readonly url: URL;
  /** What the file list announced, when it did; the download's own headers may add to it. */
  readonly expectedSha256: string | undefined;
  readonly expectedSize: number | undefined;
}

export interface PullPlan {
  /** The store name. */
  readonly name: string;
  readonly files: readonly PlannedFile[];
  /** How the file was chosen when the reference did not say, for the user to read. */
  readonly note: string | undefined;
  readonly credentials: HuggingFaceAccess["credentials"];
  /** The configured HF_ENDPOINT's origin, which may be plain http://. */
  readonly trustedOrigin: string | undefined;
}

/** A repository's GGUF model: one file or a whole split set. */
interface Candidate {
  readonly parts: readonly RepositoryFile[];
  readonly quantization: string | undefined;
}

export async function planPull(reference: ModelReference, text: string, signal: AbortSignal): Promise<PullPlan> {
  if (reference.kind === "url") return planUrl(reference.url, text);
  const access = huggingFaceAccess();
  const common = { credentials: access.credentials, trustedOrigin: access.endpoint.origin };
  if (reference.file !== undefined) {
    const paths = splitSetOf(reference.file)?.parts ?? [reference.file];
    const files = paths.map((path) => plannedFile(access, reference, { path, size: undefined, sha256: undefined }));
    return { name: storeNameOf(reference)!, files, note: undefined, ...common };
  }
  const candidates = groupCandidates(await listRepositoryFiles(access, text, reference.user, reference.repository, signal));
  const { candidate, note } = chooseCandidate(candidates, reference, text);
  const name = candidate.quantization !== undefined || reference.quantization !== undefined
    ? huggingFaceTagName(reference.user, reference.repository, reference.quantization ?? candidate.quantization!)
    : huggingFaceFileName(reference.user, reference.repository, candidate.parts[0]!.path);
  return { name, files: candidate.parts.map((part) => plannedFile(access, reference, part)), note, ...common };
}

function planUrl(url: URL, text: string): PullPlan {
  const lastSlash = url.pathname.lastIndexOf("/");
  const directory = url.pathname.slice(0, lastSlash + 1);
  const names = splitSetOf(url.pathname.slice(lastSlash + 1))?.parts ?? [url.pathname.slice(lastSlash + 1)];
  const files = names.map((encodedName) => {
    const name = safeFileName(encodedName, text);
    const partUrl = new URL(url);
    partUrl.pathname = `${directory}${encodedName}`;
    return { name, url: partUrl, expectedSha256: undefined, expectedSize: undefined };
  });
  const first = new URL(files[0]!.url);
  return { name: `${first.host}${first.pathname}`, files, note: undefined, credentials: huggingFaceAccess().credentials, trustedOrigin: undefined };
}

function plannedFile(access: HuggingFaceAccess, reference: HuggingFaceReference, file: RepositoryFile): PlannedFile {
  return {
    name: file.path.slice(file.path.lastIndexOf("/") + 1),
    url: resolveUrl(access, reference.user, reference.repository, file.path),
    expectedSha256: file.sha256,
    expectedSize: file.size,
  };
}

/** GGUF files grouped into models: split parts into their set (only complete sets), vision projectors left out. */
function groupCandidates(files: readonly RepositoryFile[]): Candidate[] {
  const byPath = new Map(files.map((file) => [file.path, file]));
  const candidates: Candidate[] = [];
  for (const file of files) {
    const name = file.path.slice(file.path.lastIndexOf("/") + 1);
    if (!/\.gguf$/i.test(name) || /mmproj/i.test(name)) continue;
    const split = splitSetOf(file.path);
    if (split !== undefined && split.parts[0] !== file.path) continue;
    const parts = (split?.parts ?? [file.path]).map((path) => byPath.get(path));
    if (parts.some((part) => part === undefined)) continue;
    candidates.push({ parts: parts as RepositoryFile[], quantization: quantizationOfFileName(file.path) });
  }
  return candidates;
}

function chooseCandidate(candidates: readonly Candidate[], reference: HuggingFaceReference, text: string): { candidate: Candidate; note: string | undefined } {
  const repository = `${reference.user}/${reference.repository}`;
  if (candidates.length === 0) throw new PullError(text, "not-found", `the repository ${repository} has no GGUF model files`);
  const available = describeCandidates(candidates);
  if (reference.quantization !== undefined) {
    const tag = reference.quantization;
    const matches = candidates.filter((candidate) => fileMatchesTag(candidate.parts[0]!.path, tag));
    if (matches.length === 0) throw new PullError(text, "not-found", `the repository ${repository} has no ${tag} file; it has ${available}`);
    if (matches.length > 1) throw ambiguous(text, tag, matches, reference);
    return { candidate: matches[0]!, note: undefined };
  }
  const quantizations = [...new Set(candidates.map((candidate) => candidate.quantization).filter((quantization) => quantization !== undefined))];
  const preferred = preferredQuantization(quantizations);
  const matches = preferred === undefined ? candidates : candidates.filter((candidate) => candidate.quantization === preferred);
  if (matches.length > 1) throw ambiguous(text, preferred ?? "default", matches, reference);
  const note = preferred === undefined
    ? `no quantization given: took the repository's only GGUF file`
    : `no quantization given: took ${preferred}${preferred === "Q4_K_M" ? " (the default)" : " (the repository has no Q4_K_M)"}; available: ${quantizations.join(", ")}`;
  return { candidate: matches[0]!, note };
}

function ambiguous(text: string, tag: string, matches: readonly Candidate[], reference: HuggingFaceReference): PullError {
  const files = matches.map((candidate) => candidate.parts[0]!.path).join(", ");
  return new PullError(text, "not-found", `several files match ${tag} (${files}); name one: hf:${reference.user}/${reference.repository}/<file>`);
}

function describeCandidates(candidates: readonly Candidate[]): string {
  const quantizations = [...new Set(candidates.map((candidate) => candidate.quantization ?? candidate.parts[0]!.path))];
  return quantizations.join(", ");
}

/** A URL's last segment as a local file name: decoded, and nothing that could leave the directory. */
function safeFileName(encoded: string, text: string): string {
  let name: string;
  try {
    name = decodeURIComponent(encoded);
  } catch {
    name = encoded;
  }
  if (name === "" || name.startsWith(".") || /[\\/\0]/.test(name)) throw new InvalidArgumentError("reference", `"${text}": the URL's file name "${name}" cannot be a file name`);
  return name;
}
