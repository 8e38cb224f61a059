/** Checks shared by the AI SDK tests, whichever provider (chat completions or the Responses API) carries them. */
import assert from "node:assert/strict";
import { jsonSchema, streamText, tool, type LanguageModel } from "ai";

/** streamText with toolChoice "required" on `model` streams one valid call, its input in pieces that add up to it. */
export async function assertRequiredToolStreams(model: LanguageModel): Promise<void> {
  const weather = tool({ description: "The weather in a city", inputSchema: jsonSchema<{ city: string; days: number }>({ type: "object", properties: { city: { type: "string", maxLength: 12 }, days: { type: "integer" } }, required: ["city", "days"], additionalProperties: false }) });
  const result = streamText({ model, tools: { weather }, toolChoice: "required", prompt: "What saith the weather?", temperature: 0, maxOutputTokens: 120, maxRetries: 0 });
  let inputText = "";
  let deltas = 0;
  for await (const part of result.fullStream) {
    if (part.type === "tool-input-delta") {
      inputText += part.delta;
      deltas++;
    }
    if (part.type === "error") throw part.error;
  }
  const calls = await result.toolCalls;
  assert.equal(calls.length, 1);
  assert.equal(calls[0]!.toolName, "weather");
  const input = calls[0]!.input as { city: unknown; days: unknown };
  assert.ok(typeof input.city === "string" && input.city.length <= 12 && Number.isInteger(input.days), JSON.stringify(input));
  assert.ok(deltas >= 2, "the input arrives in pieces");
  assert.deepEqual(JSON.parse(inputText), input);
  assert.equal(await result.finishReason, "tool-calls");
}
