/**
 * Structured output over a remote engine: Context.connect against another `mullama serve`
 * on loopback (the demo model). A JSON schema is sent as `response_format` and the engine
 * enforces it, so the text parses and validates, streamed or not, on both routes; a GBNF
 * grammar, which no OpenAI field carries, is refused rather than silently dropped.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Ajv } from "ajv";
import { Context, InvalidArgumentError, type RemoteContext } from "../../src/index.ts";
import { startTestServer, type TestServer } from "../server/helpers.ts";

const greedy = { temperature: 0 } as const;
// The demo model never writes quote marks on its own: short strings keep the answer short.
const verseSchema = {
  type: "object",
  properties: { book: { type: "string", maxLength: 12 }, holy: { type: "boolean" } },
  required: ["book", "holy"],
  additionalProperties: false,
};
const validVerse = new Ajv().compile(verseSchema);

function assertValidJson(text: string): void {
  const value: unknown = JSON.parse(text);
  assert.ok(validVerse(value), `${text} breaks the schema: ${JSON.stringify(validVerse.errors)}`);
}

describe("structured output over Context.connect", () => {
  let upstream: TestServer;
  let remote: RemoteContext;
  before(async () => {
    upstream = await startTestServer({ parallel: 2, contextSize: 512 });
    remote = await Context.connect(`${upstream.url}/v1`);
  });
  after(async () => {
    await remote.dispose();
    await upstream.server.close();
  });

  test("a completion with jsonSchema parses and validates, streamed and not", async () => {
    const pieces: string[] = [];
    for await (const event of remote.stream("In the beginning", { ...greedy, maxTokens: 64, jsonSchema: verseSchema })) pieces.push(event.text);
    assert.ok(pieces.length > 1, "the JSON arrives in pieces");
    assertValidJson(pieces.join(""));
    const result = await remote.generate("And God said", { ...greedy, maxTokens: 64, jsonSchema: verseSchema });
    assertValidJson(result.text);
    assert.equal(result.stopReason, "eos");
  });

  test("a chat with jsonSchema parses and validates, streamed and not", async () => {
    const messages = [{ role: "user" as const, content: "Name a book" }];
    const stream = remote.chat(messages, { ...greedy, maxTokens: 64, jsonSchema: verseSchema });
    const pieces: string[] = [];
    for await (const event of stream) pieces.push(event.text);
    assertValidJson(pieces.join(""));
    assert.equal((await stream.result).text, pieces.join(""));
    const collected = remote.chat(messages, { ...greedy, maxTokens: 64, jsonSchema: verseSchema });
    assertValidJson(await collected.text());
  });

  test("without the schema the same prompt is not JSON: the schema is what shaped it", async () => {
    const result = await remote.generate("In the beginning", { ...greedy, maxTokens: 24 });
    assert.throws(() => JSON.parse(result.text));
  });

  test("a grammar is refused before anything is sent, naming options.grammar", () => {
    const refused = (error: unknown) => error instanceof InvalidArgumentError && error.argument === "options.grammar" && /GBNF/.test(error.message);
    assert.throws(() => remote.stream("In the beginning", { grammar: 'root ::= "yes"' }), refused);
    assert.throws(() => remote.chat([{ role: "user", content: "Yes?" }], { grammar: 'root ::= "yes"' }), refused);
  });
});
