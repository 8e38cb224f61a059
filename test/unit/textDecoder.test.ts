import { test } from "node:test";
import assert from "node:assert/strict";
import { IncrementalDetokenizer, type Detokenize } from "../../src/generation/textDecoder.ts";

/**
 * A model-free stand-in for the engine's detokenizer: each token is a byte string, and
 * decoding behaves like llama.cpp's (invalid or incomplete UTF-8 becomes U+FFFD), with a
 * SentencePiece-style rule that drops the leading space of the very first piece when
 * there is no context.
 */
function fakeVocabulary(pieces: Uint8Array[]): Detokenize {
  const decoder = new TextDecoder("utf-8");
  const bytesOf = (tokens: readonly number[]) => Buffer.concat(tokens.map((token) => pieces[token]!));
  return (tokens, lastTokens) => {
    if (lastTokens.length === 0) return decoder.decode(bytesOf(tokens)).replace(/^ /, "");
    const before = decoder.decode(bytesOf(lastTokens));
    const all = decoder.decode(bytesOf([...lastTokens, ...tokens]));
    return all.startsWith(before) ? all.slice(before.length) : decoder.decode(bytesOf(tokens));
  };
}

const utf8 = (text: string) => new TextEncoder().encode(text);

function splitIntoByteTokens(text: string): Uint8Array[] {
  return [...utf8(text)].map((byte) => Uint8Array.of(byte));
}

test("a character split across byte tokens is held until complete", () => {
  const text = "aé中😀b";
  const pieces = splitIntoByteTokens(text);
  const decoder = new IncrementalDetokenizer(fakeVocabulary(pieces));
  const emitted: string[] = [];
  pieces.forEach((_, token) => emitted.push(decoder.push(token)));
  emitted.push(decoder.flush());
  for (const piece of emitted) assert.ok(!piece.includes("\uFFFD"), `broken piece ${JSON.stringify(piece)}`);
  assert.deepEqual(emitted.filter((piece) => piece !== ""), ["a", "é", "中", "😀", "b"]);
  assert.equal(emitted.join(""), text);
});

test("every split of a multi-byte text into tokens reassembles exactly, with no broken piece", () => {
  const bytes = utf8("Ωx中😀é");
  for (let cut = 1; cut < bytes.length; cut++) {
    for (let cut2 = cut; cut2 < bytes.length; cut2++) {
      const pieces = [bytes.slice(0, cut), bytes.slice(cut, cut2), bytes.slice(cut2)].filter((piece) => piece.length > 0);
      const decoder = new IncrementalDetokenizer(fakeVocabulary(pieces));
      const emitted = pieces.map((_, token) => decoder.push(token));
      emitted.push(decoder.flush());
      for (const piece of emitted) assert.ok(!piece.includes("\uFFFD"));
      assert.equal(emitted.join(""), "Ωx中😀é", `cuts ${cut}, ${cut2}`);
    }
  }
});

test("the leading space of a word is kept thanks to the preceding tokens", () => {
  const pieces = [utf8("And"), utf8(" God"), utf8(" said"), utf8(" unto")];
  const decoder = new IncrementalDetokenizer(fakeVocabulary(pieces), [0, 1, 2]);
  assert.equal(decoder.push(3), " unto");
});

test("genuinely invalid bytes are released after four held tokens, not held forever", () => {
  const pieces = [Uint8Array.of(0xe4), Uint8Array.of(0x41), Uint8Array.of(0xff), Uint8Array.of(0xff), Uint8Array.of(0xff), Uint8Array.of(0xff)];
  const decoder = new IncrementalDetokenizer(fakeVocabulary(pieces));
  assert.equal(decoder.push(0), "");
  assert.equal(decoder.push(1), "\uFFFDA");
  assert.equal(decoder.push(2), "");
  assert.equal(decoder.push(3), "");
  assert.equal(decoder.push(4), "");
  assert.equal(decoder.push(5), "\uFFFD\uFFFD\uFFFD\uFFFD");
  assert.deepEqual(decoder.heldTokens, []);
});

test("flush releases an incomplete character at the end", () => {
  const pieces = [utf8("ok"), Uint8Array.of(0xe4, 0xb8)];
  const decoder = new IncrementalDetokenizer(fakeVocabulary(pieces));
  assert.equal(decoder.push(0), "ok");
  assert.equal(decoder.push(1), "");
  assert.equal(decoder.flush(), "\uFFFD");
  assert.equal(decoder.flush(), "");
});
