import { test } from "node:test";
import assert from "node:assert/strict";
import { ChoiceStreams } from "../../src/streaming/choiceStreams.ts";
import { fakeStream } from "../fixtures/fakeStreams.ts";

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

test("choices interleave as they come, each ends with its own finish, then one final finish lists every result by index", async () => {
  const first = fakeStream(["a", "b", "c"], { beforePart: tick });
  const second = fakeStream(["x", "y"], { beforePart: tick, end: { stopReason: "maxTokens" } });
  const parts = [];
  for await (const part of new ChoiceStreams([first.stream, second.stream]).parts()) parts.push(part);
  const described = parts.map((part) => (part.type === "choice" ? `${part.index}:${part.part.type === "text" ? part.part.text : part.part.type}` : part.type));
  assert.deepEqual(described.filter((entry) => entry.startsWith("0:")), ["0:a", "0:b", "0:c", "0:finish"]);
  assert.deepEqual(described.filter((entry) => entry.startsWith("1:")), ["1:x", "1:y", "1:finish"]);
  assert.ok(described.indexOf("1:x") < described.indexOf("0:c"), `interleaved: ${described.join(" ")}`);
  const final = parts.at(-1)!;
  assert.equal(final.type, "finish");
  assert.deepEqual(final.type === "finish" && final.result.map((result) => [result.text, result.stopReason]), [["abc", "eos"], ["xy", "maxTokens"]]);
});

test("a choice that fails ends the stream with one error part and closes the others", async () => {
  const failing = fakeStream(["a"], { beforePart: tick, failWith: new Error("boom") });
  const endless = fakeStream(Array.from({ length: 1000 }, () => "z"), { beforePart: tick });
  const parts = [];
  for await (const part of new ChoiceStreams([failing.stream, endless.stream]).parts()) parts.push(part);
  const finals = parts.filter((part) => part.type !== "choice");
  assert.equal(finals.length, 1);
  assert.equal(finals[0]!.type, "error");
  assert.ok(endless.state.finished, "the other choice was closed");
  assert.ok(endless.state.pulled < 1000);
});
