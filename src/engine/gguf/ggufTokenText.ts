/**
 * A token's text as llama.cpp keys its vocabulary by (llama-vocab.cpp, v0.5.0): it reads
 * each token as a C string, so the text ends at the first NUL byte, and it renames a token
 * left empty `[EMPTY_<index>]`. Two tokens that differ in the file can therefore be the
 * same token there (`"a\0b"` and `"a"`; an empty token 7 and a real token `[EMPTY_7]`),
 * and a vocabulary with two tokens of one text aborts the process
 * (`GGML_ASSERT(id_to_token.size() == token_to_id.size())`).
 */

/** How llama.cpp changed a token's text, if it did. */
export type TokenTextChange = "cut at NUL" | "renamed empty" | undefined;

/** The text llama.cpp keys token `index` by, as latin1 (one character per byte: llama.cpp compares bytes). */
export function engineTokenText(bytes: Buffer, index: number): string {
  const end = bytes.indexOf(0);
  const kept = end === -1 ? bytes : bytes.subarray(0, end);
  return kept.length === 0 ? `[EMPTY_${index}]` : kept.toString("latin1");
}

export function tokenTextChange(bytes: Buffer): TokenTextChange {
  const end = bytes.indexOf(0);
  if (end === 0 || bytes.length === 0) return "renamed empty";
  return end === -1 ? undefined : "cut at NUL";
}

/** Why two tokens became one, for the refusal's reason ("" when they were equal in the file). */
export function collisionCause(earlier: TokenTextChange, later: TokenTextChange): string {
  if (earlier === "cut at NUL" || later === "cut at NUL") return " (llama.cpp cuts token text at the first NUL byte)";
  if (earlier === "renamed empty" || later === "renamed empty") return " (llama.cpp renames an empty token [EMPTY_<index>])";
  return "";
}
