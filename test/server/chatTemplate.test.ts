/**
 * The chat path through a model's own template: a scripted model (it emits a fixed text,
 * whatever the prompt) whose GGUF carries a Jinja chat template. Its byte-level vocabulary
 * has one token per byte, so the prompt's token count shows exactly what was rendered.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import OpenAI from "openai";
import { Model } from "../../src/index.js";
import { ChatPromptRenderer } from "../../src/model/chatPrompt.js";
import { makeScriptedModel } from "../fixtures/scriptedModel.js";
import { startTestServer, type TestServer } from "./helpers.js";

const template = "{% for message in messages %}<{{ message['role'] }}>{{ message['content'] }}</{{ message['role'] }}>\n{% endfor %}{% if add_generation_prompt %}<assistant>{% endif %}";
const messages = [
  { role: "system" as const, content: "Be brief." },
  { role: "user" as const, content: "Hello" },
];
const rendered = "<system>Be brief.</system>\n<user>Hello</user>\n<assistant>";

let model: Model;
let harness: TestServer;
before(async () => {
  model = await Model.load(await makeScriptedModel({ pieces: ["Hi", " there", "</assistant>", " more"], fileName: "chat-template", chatTemplate: template }));
  harness = await startTestServer({ model, parallel: 1 });
});
after(async () => {
  await harness.server.close();
  await model.dispose();
});

test("a model's own chat template renders the conversation", () => {
  assert.equal(model.metadata.chatTemplate, template);
  const renderer = ChatPromptRenderer.create(model);
  assert.equal(renderer.format, "model-template");
  const { prompt } = renderer.render(messages);
  assert.ok(Array.isArray(prompt));
  assert.ok(model.detokenize(prompt).endsWith(rendered), JSON.stringify(model.detokenize(prompt)));
});

test("/v1/chat/completions uses the template: prompt tokens are the rendered conversation's", async () => {
  const client = new OpenAI({ baseURL: `${harness.url}/v1`, apiKey: "unused" });
  const [served] = (await client.models.list()).data;
  const completion = await client.chat.completions.create({ model: served!.id, messages, temperature: 0, max_tokens: 10 });
  const expectedPromptTokens = (ChatPromptRenderer.create(model).render(messages).prompt as number[]).length;
  assert.equal(completion.usage?.prompt_tokens, expectedPromptTokens);
  assert.ok(expectedPromptTokens >= new TextEncoder().encode(rendered).length);
  assert.equal(completion.choices[0]?.message.content, "Hi there</assistant> more");
});
