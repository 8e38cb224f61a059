/**
 * Sanity caps the header reader enforces on top of "fits in the rest of the file".
 *
 * The file size alone is a weak bound for a multi-gigabyte model: a corrupted count of
 * 2^40 elements of one byte each would still "fit" and make the reader loop for hours.
 * These limits sit well above anything a real model uses (the largest vocabularies have
 * about 260k tokens and 500k merges; chat templates are tens of kilobytes) and well below
 * what would exhaust memory or time.
 */
export const ggufHeaderLimits = {
  /** Metadata keys: the GGUF specification caps them at 65535 bytes. */
  maxKeyLength: 65_535,
  /** Any metadata string (a chat template is the longest in practice). */
  maxStringLength: 64 * 1024 * 1024,
  /** Elements of one metadata array (token lists, merges, scores). */
  maxArrayLength: 64 * 1024 * 1024,
  /** Key/value pairs in the metadata section. */
  maxKeyValueCount: 65_536,
  /** Tensors in one file (mixture-of-experts models have a few thousand). */
  maxTensorCount: 1_048_576,
  /** ggml's GGML_MAX_NAME is 64 bytes including the terminating zero. */
  maxTensorNameLength: 63,
  /** ggml's GGML_MAX_DIMS. */
  maxDimensions: 4,
} as const;

/**
 * Arrays up to this many elements keep their elements in the parsed header; longer ones
 * (token lists, merges, scores) are validated element by element but keep only their
 * length, so reading the header of a 150k-token vocabulary stays cheap.
 */
export const keptArrayElementLimit = 64;
