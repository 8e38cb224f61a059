/**
 * The AI SDK (`ai` with `@ai-sdk/openai-compatible`), unmodified, against the OpenAI
 * routes on the demo model: generateObject and streamObject get objects that match their
 * zod schemas, and streamText with a required tool streams the call's input in pieces.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { generateObject, streamObject } from "ai";
import { z } from "zod";
import { assertRequiredToolStreams } from "./aiSdkChecks.js";
import { startTestServer, type TestServer } from "./helpers.js";

let harness: TestServer;
let provider: ReturnType<typeof createOpenAICompatible>;

before(async () => {
  harness = await startTestServer({ contextSize: 1024, parallel: 2 });
  provider = createOpenAICompatible({ name: "mullama", baseURL: `${harness.url}/v1`, supportsStructuredOutputs: true });
});
after(() => harness.server.close());

// The demo model never writes a quote mark: strings need a maximum length to end.
const prophet = z.object({ name: z.string().max(10), age: z.number(), signs: z.array(z.string().max(6)).max(3) });

test("generateObject and streamObject give objects that match the schema", async () => {
  const model = provider.chatModel("kjv-tiny-q8_0");
  for (const seed of [1, 2]) {
    const { object, finishReason } = await generateObject({ model, schema: prophet, prompt: "Describe a prophet.", seed, temperature: 1, maxOutputTokens: 150, maxRetries: 0 });
    assert.ok(prophet.safeParse(object).success, JSON.stringify(object));
    assert.equal(finishReason, "stop");
  }
  const streamed = streamObject({ model, schema: prophet, prompt: "Describe a prophet.", temperature: 0, maxOutputTokens: 150, maxRetries: 0 });
  let partials = 0;
  for await (const partial of streamed.partialObjectStream) if (typeof partial === "object") partials++;
  assert.ok(partials > 1, "the object grows as it is generated");
  assert.ok(prophet.safeParse(await streamed.object).success);
});

test('streamText with toolChoice "required" streams one valid call, its input in pieces', async () => {
  await assertRequiredToolStreams(provider.chatModel("kjv-tiny-q8_0"));
});
