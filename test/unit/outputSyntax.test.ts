/**
 * The output syntax read from node-llama-cpp's chat wrappers: the markers of real model
 * families as plain text, and the tool-call and thought shapers reading replies written
 * in them.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ChatMLChatWrapper, DeepSeekChatWrapper, Llama3_1ChatWrapper, QwenChatWrapper } from "node-llama-cpp";
import { outputSyntaxOf } from "../../src/engine/outputSyntax.ts";
import { TemplateToolCallShaper } from "../../src/chat/templateToolCalls.ts";
import { ThoughtShaper } from "../../src/chat/thoughtSegments.ts";
import type { ShapedOutput } from "../../src/generation/outputShaper.ts";

function calls(outputs: ShapedOutput[]) {
  return outputs.flatMap((output) => (output.type === "tool-call" ? [{ name: output.name, arguments: output.arguments }] : []));
}

test("Qwen: <tool_call> JSON calls and <think> thoughts", () => {
  const syntax = outputSyntaxOf(new QwenChatWrapper());
  assert.deepEqual(syntax.thought, { prefix: "<think>\n", suffix: "\n</think>", opensAtStart: false });
  const shaper = new TemplateToolCallShaper(syntax.toolCall!, ["get_weather"]);
  const outputs = [...shaper.push('<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>'), ...shaper.end(true)];
  assert.deepEqual(calls(outputs), [{ name: "get_weather", arguments: { city: "Paris" } }]);
});

test("Llama 3.1: <function=name> calls", () => {
  const syntax = outputSyntaxOf(new Llama3_1ChatWrapper());
  assert.equal(syntax.thought, undefined);
  const shaper = new TemplateToolCallShaper(syntax.toolCall!, ["get_weather", "get_time"]);
  const outputs = [...shaper.push('Checking. <function=get_time>{"zone": "CET"}</function>'), ...shaper.end(true)];
  assert.deepEqual(outputs[0], { type: "text", text: "Checking. " });
  assert.deepEqual(calls(outputs), [{ name: "get_time", arguments: { zone: "CET" } }]);
});

test("DeepSeek R1: the thought markers", () => {
  const syntax = outputSyntaxOf(new DeepSeekChatWrapper());
  assert.ok(syntax.thought !== undefined);
  const shaper = new ThoughtShaper(syntax.thought, true);
  const outputs = [...shaper.push("<think>\nFirst, X.\n</think>\n\nY."), ...shaper.end()];
  assert.deepEqual(outputs, [
    { type: "reasoning", text: "First, X." },
    { type: "text", text: "Y." },
  ]);
});

test("a format without a tool syntax of its own gets node-llama-cpp's generic one", () => {
  const syntax = outputSyntaxOf(new ChatMLChatWrapper());
  assert.deepEqual(syntax.toolCall?.prefixes, ["||call: ", "||call:"]);
  assert.equal(syntax.toolCall?.argumentsPrefix("x"), "(");
  assert.equal(syntax.toolCall?.suffix, ")");
});
