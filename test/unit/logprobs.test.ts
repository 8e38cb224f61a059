import { test } from "node:test";
import assert from "node:assert/strict";
import { LogprobRecorder, impossibleLogprob, pieceBytes } from "../../src/generation/logprobs.ts";

// A fake vocabulary: token 1 is " é" whole; tokens 2 and 3 are the two bytes of "é" (SentencePiece byte fallback).
const pieces = ["<unk>", "▁é", "<0xC3>", "<0xA9>"];
const detokenize = (tokens: readonly number[]) => tokens.map((token) => (token === 1 ? " é" : "\uFFFD")).join("");

test("a token that is part of a character gives its byte; whole tokens their UTF-8", () => {
  const recorder = new LogprobRecorder(detokenize, { pieces, kind: "llama" }, 2, []);
  const step = { confidence: 0.5, probabilities: new Map([[2, 0.5], [1, 0.25], [3, 0.25]]) };
  const entry = recorder.record(2, step);
  assert.deepEqual(entry.bytes, [0xc3]);
  assert.equal(entry.logprob, Math.log(0.5));
  assert.deepEqual(entry.topLogprobs.map((alternative) => [alternative.token, alternative.bytes]), [[2, [0xc3]], [1, [0x20, 0xc3, 0xa9]]]);
});

test("a probability of 0 is reported as -9999, not -Infinity (JSON has none)", () => {
  const recorder = new LogprobRecorder(detokenize, { pieces, kind: "llama" }, 0, []);
  assert.equal(recorder.record(1, { confidence: 0 }).logprob, impossibleLogprob);
});

test("GPT-2 byte-level pieces decode to their bytes; unknown pieces give none", () => {
  // "Ġ" is the space (0x20 shifted to 0x120); "Ã©" is é's two bytes.
  assert.deepEqual(pieceBytes("Ġ", "gpt2"), [0x20]);
  assert.deepEqual(pieceBytes("Ã©", "gpt2"), [0xc3, 0xa9]);
  assert.deepEqual(pieceBytes("<0x0A>", "llama"), [0x0a]);
  assert.equal(pieceBytes("▁é", "llama"), undefined);
});
