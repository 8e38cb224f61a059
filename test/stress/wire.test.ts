/** The stress suite's own pieces: reading the three streamed formats, and its section of docs/RELIABILITY.md. */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { sectionEnd, sectionStart, writeSection } from "../../bench/stress/report.ts";
import { WireDecoder } from "../../bench/stress/wire.ts";

/** Feeds `body` in pieces of `size` characters, so that events split across chunks. */
function decode(kind: ConstructorParameters<typeof WireDecoder>[0], body: string, size: number) {
  const decoder = new WireDecoder(kind);
  for (let start = 0; start < body.length; start += size) decoder.push(body.slice(start, start + size));
  return decoder.progress;
}

const openAi = ': keep-alive\n\ndata: {"choices":[{"delta":{"role":"assistant","content":""}}]}\n\ndata: {"choices":[{"delta":{"content":" unto"}}]}\n\ndata: {"choices":[{"delta":{"content":" him"},"finish_reason":"length"}]}\n\ndata: [DONE]\n\n';
const ollama = '{"response":" unto","done":false}\n{"response":" him","done":false}\n{"response":"","done":true,"done_reason":"length"}\n';
const native = 'event: token\nid: 0\ndata: {"text":" unto","index":0}\n\nevent: token\nid: 1\ndata: {"text":" him","index":1}\n\nevent: done\nid: 2\ndata: {"stopReason":"maxTokens"}\n\n';

test("each format reads to the same text however the body is cut", () => {
  for (const size of [1, 3, 7, 1000]) {
    assert.deepEqual(decode("openai-chat-stream", openAi, size), { text: " unto him", pieces: 2, ended: true, error: undefined });
    assert.deepEqual(decode("ollama-generate-stream", ollama, size), { text: " unto him", pieces: 2, ended: true, error: undefined });
    assert.deepEqual(decode("native-sse", native, size), { text: " unto him", pieces: 2, ended: true, error: undefined });
  }
});

test("a stream cut before its last word has not ended; an in-stream error is kept", () => {
  assert.equal(decode("native-sse", native.slice(0, native.indexOf("event: done")), 5).ended, false);
  assert.equal(decode("openai-completion-stream", openAi.replace("data: [DONE]\n\n", ""), 5).ended, false);
  assert.equal(decode("openai-chat-stream", 'data: {"error":{"code":"shutting_down","message":"bye"}}\n\n', 4).error, "shutting_down");
  assert.equal(decode("ollama-chat-stream", '{"error":"The server is shutting down"}\n', 4).error, "The server is shutting down");
  assert.equal(decode("native-sse", 'event: error\ndata: {"error":{"code":"GENERATION_FAILED","message":"x"}}\n\n', 4).error, "GENERATION_FAILED");
});

test("the section is written between its markers, and the rest of the file stays", () => {
  const path = join(mkdtempSync(join(tmpdir(), "mullama-stress-")), "RELIABILITY.md");
  const section = (figure: string) => `${sectionStart}\n## Load and faults\n\n${figure}\n${sectionEnd}`;
  writeSection(path, section("first"));
  assert.equal(readFileSync(path, "utf8"), `# Reliability\n\n${section("first")}\n`);
  writeFileSync(path, `${readFileSync(path, "utf8")}\n## Model files\n\nfuzz table\n`);
  writeSection(path, section("second"));
  assert.equal(readFileSync(path, "utf8"), `# Reliability\n\n${section("second")}\n\n## Model files\n\nfuzz table\n`);
});
