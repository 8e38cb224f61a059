/**
 * Model references: what a user types to name a model to pull.
 *
 *   hf:<user>/<repo>/<path>.gguf   one file (or the split set it belongs to)
 *   hf:<user>/<repo>:<quant>       the file of that quantization in the repository
 *   hf:<user>/<repo>               the default quantization (see quantization.ts)
 *   hf.co/<user>/<repo>[:<quant>]  Ollama's spelling of the same (huggingface.co/ too)
 *   https://host/path/file.gguf    any server; http:// only to a loopback address
 *
 * and the store names they get, which read like Ollama's:
 *
 *   hf.co/<user>/<repo>:<QUANT>    a quantization (the default one once it is chosen)
 *   hf.co/<user>/<repo>/<path>     one file of a repository
 *   <host>/<path>                  a URL, without its query
 */
import { InvalidArgumentError } from "../errors.js";
import { splitSetOf } from "./splitFiles.js";

export interface HuggingFaceReference {
  readonly kind: "hugging-face";
  readonly user: string;
  readonly repository: string;
  /** A file's path in the repository (the first part of a split set), when the reference names one. */
  readonly file: string | undefined;
  /** The tag after `:`, upper-case (`Q4_K_M`), when given. `:latest` counts as none. */
  readonly quantization: string | undefined;
}

export interface UrlReference {
  readonly kind: "url";
  readonly url: URL;
}

export type ModelReference = HuggingFaceReference | UrlReference;

const huggingFacePrefixes = ["hf:", "huggingface:", "hf.co/", "huggingface.co/"];
/** Hugging Face's own rule for user and repository names. */
const repositoryWord = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const tagWord = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * Parses a reference. Returns undefined for text that is not one (a file path, a store
 * name typed as listed); throws InvalidArgumentError for text that starts like one but is
 * malformed, naming what is wrong.
 */
export function parseModelReference(text: string): ModelReference | undefined {
  const trimmed = text.trim();
  const prefix = huggingFacePrefixes.find((candidate) => trimmed.toLowerCase().startsWith(candidate));
  if (prefix !== undefined) return parseHuggingFace(trimmed, trimmed.slice(prefix.length));
  if (/^https?:\/\//i.test(trimmed)) return parseUrl(trimmed);
  return undefined;
}

/** Like {@link parseModelReference}, but text that is not a reference is an error too. */
export function modelReference(text: string): ModelReference {
  const reference = typeof text === "string" ? parseModelReference(text) : undefined;
  if (reference === undefined) {
    throw new InvalidArgumentError("reference", `"${String(text)}" is not a model reference: expected hf:<user>/<repo>[:<quant>], hf:<user>/<repo>/<file>.gguf, hf.co/<user>/<repo>[:<quant>] or an https:// URL of a .gguf file`);
  }
  return reference;
}

function parseHuggingFace(text: string, rest: string): HuggingFaceReference {
  const invalid = (why: string) => new InvalidArgumentError("reference", `"${text}": ${why}`);
  const [user = "", repositoryAndTag = "", ...path] = rest.split("/");
  const tagAt = path.length === 0 ? repositoryAndTag.indexOf(":") : -1;
  const repository = tagAt === -1 ? repositoryAndTag : repositoryAndTag.slice(0, tagAt);
  if (!repositoryWord.test(user) || !repositoryWord.test(repository)) throw invalid("expected <user>/<repo> made of letters, digits, '.', '_' and '-'");
  if (path.length > 0) {
    if (path.some((segment) => segment === "" || segment === "." || segment === "..")) throw invalid("the file path has an empty, '.' or '..' segment");
    const file = path.join("/");
    if (!/\.gguf$/i.test(file)) throw invalid("the file must be a .gguf file");
    return { kind: "hugging-face", user, repository, file: splitSetOf(file)?.parts[0] ?? file, quantization: undefined };
  }
  const tag = tagAt === -1 ? "" : repositoryAndTag.slice(tagAt + 1);
  if (tagAt !== -1 && !tagWord.test(tag)) throw invalid("the tag after ':' must be a quantization such as Q4_K_M");
  const quantization = tag === "" || tag.toLowerCase() === "latest" ? undefined : tag.toUpperCase();
  return { kind: "hugging-face", user, repository, file: undefined, quantization };
}

function parseUrl(text: string): UrlReference {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InvalidArgumentError("reference", `"${text}" is not a valid URL`);
  }
  if (url.username !== "" || url.password !== "") throw new InvalidArgumentError("reference", "a URL with a user name or password is not accepted (it would be stored and shown); use HF_TOKEN for Hugging Face");
  if (!/\.gguf$/i.test(url.pathname)) throw new InvalidArgumentError("reference", `"${text}": the URL must end in a .gguf file name`);
  if (url.protocol === "http:" && !isLoopbackHost(url.hostname)) throw new InvalidArgumentError("reference", `"${text}": plain http:// is accepted only for loopback addresses; use https://`);
  return { kind: "url", url };
}

/** 127.0.0.0/8, ::1 and localhost: where a plain-text download cannot be intercepted. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  return host === "localhost" || host === "::1" || /^127(\.\d{1,3}){3}$/.test(host);
}

/** The store name of a reference, or undefined for `hf:<user>/<repo>` until its default is chosen. */
export function storeNameOf(reference: ModelReference): string | undefined {
  if (reference.kind === "url") return `${reference.url.host}${reference.url.pathname}`;
  if (reference.file !== undefined) return huggingFaceFileName(reference.user, reference.repository, reference.file);
  if (reference.quantization !== undefined) return huggingFaceTagName(reference.user, reference.repository, reference.quantization);
  return undefined;
}

export function huggingFaceTagName(user: string, repository: string, quantization: string): string {
  return `${huggingFaceRepositoryName(user, repository)}:${quantization.toUpperCase()}`;
}

export function huggingFaceFileName(user: string, repository: string, file: string): string {
  return `${huggingFaceRepositoryName(user, repository)}/${file}`;
}

/** `hf.co/<user>/<repo>`: the prefix every store name of that repository starts with. */
export function huggingFaceRepositoryName(user: string, repository: string): string {
  return `hf.co/${user}/${repository}`;
}
