/**
 * Split GGUF sets: llama.cpp's gguf-split writes `<stem>-00001-of-00003.gguf` and so on,
 * and loads the whole set from the path of the first part, finding the others by name.
 * So a set is pulled, stored and loaded as one model whose files keep those names.
 */

const splitSuffix = /-(\d{5})-of-(\d{5})\.gguf$/i;

export interface SplitSet {
  /** Paths of every part, in order; the first is the one to load. */
  readonly parts: readonly string[];
}

/**
 * The parts of the set `path` belongs to (any part may be given), or undefined when
 * `path` is not a split part. A suffix that cannot be a real part (`-00004-of-00003`,
 * `-00000-of-...`) is not taken as one.
 */
export function splitSetOf(path: string): SplitSet | undefined {
  const match = splitSuffix.exec(path);
  if (match === null) return undefined;
  const part = Number(match[1]);
  const count = Number(match[2]);
  if (part < 1 || count < 2 || part > count) return undefined;
  const stem = path.slice(0, match.index);
  const extension = path.slice(match.index + match[0].length - ".gguf".length);
  const parts = Array.from({ length: count }, (_, index) => `${stem}-${String(index + 1).padStart(5, "0")}-of-${match[2]}${extension}`);
  return { parts };
}

/** `model-Q4_K_M-00001-of-00003.gguf` -> `model-Q4_K_M`; `model.gguf` -> `model`. */
export function ggufStem(path: string): string {
  const name = path.slice(path.lastIndexOf("/") + 1);
  const withoutSplit = splitSetOf(name) === undefined ? name : name.replace(splitSuffix, ".gguf");
  return withoutSplit.replace(/\.gguf$/i, "");
}
