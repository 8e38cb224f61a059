/**
 * Output constrained by a JSON Schema or a GBNF grammar, on the demo model (a base model
 * that has never seen JSON): every output parses and validates with a real validator,
 * whatever the seed, streamed or collected.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Ajv } from "ajv";
import { Context, InvalidArgumentError, Model } from "../../src/index.ts";
import { loadDemo } from "../helpers/demoModel.ts";

let model: Model;
let context: Context;
before(async () => ({ model, context } = await loadDemo({ sequences: 2 })));
after(() => model.dispose());

const ajv = new Ajv({ strict: false });

// The demo model never writes a quote mark: strings get a maxLength so they close.
const person = {
  type: "object",
  properties: {
    name: { type: "string", maxLength: 24 },
    age: { type: "integer" },
    score: { type: "number" },
    alive: { type: "boolean" },
    tags: { type: "array", items: { type: "string", maxLength: 8 }, maxItems: 3 },
    kind: { enum: ["prophet", "king", null] },
    home: { anyOf: [{ type: "null" }, { type: "object", properties: { city: { type: "string", maxLength: 12 } }, required: ["city"], additionalProperties: false }] },
  },
  required: ["name", "age"],
  additionalProperties: false,
};

test("output under a JSON Schema parses and validates, seed after seed, and ends as the end of the turn", async () => {
  const validate = ajv.compile(person);
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    const result = await context.generate("And God said", { jsonSchema: person, seed, temperature: 1, maxTokens: 200 });
    const value: unknown = JSON.parse(result.text);
    assert.ok(validate(value), `seed ${seed}: ${result.text} ${ajv.errorsText(validate.errors)}`);
    assert.equal(result.stopReason, "eos", result.text);
    assert.ok(!result.text.endsWith("\n"), "the grammar's end marker is not part of the output");
  }
});

test("streamed constrained text equals the collected text (greedy)", async () => {
  const options = { jsonSchema: person, temperature: 0, maxTokens: 200 };
  const collected = await context.generate("And the LORD", options);
  let streamed = "";
  for await (const event of context.stream("And the LORD", options)) streamed += event.text;
  assert.equal(streamed, collected.text);
  assert.ok(ajv.validate(person, JSON.parse(streamed)));
});

test("a GBNF grammar constrains the output; the callback API takes it too", async () => {
  const grammar = 'root ::= ("yea" | "nay") " " [0-9] [0-9]?';
  for (const seed of [1, 2, 3]) {
    const pieces: string[] = [];
    const result = await context.generateStreaming("And God said", 20, (text) => void pieces.push(text), { grammar, seed });
    assert.match(result.text, /^(yea|nay) [0-9][0-9]?$/);
    assert.equal(pieces.join(""), result.text);
  }
});

test("schemas and grammars the compiler cannot handle are refused, naming the option and keyword", () => {
  const refused = (options: object, argument: string) =>
    assert.throws(() => context.stream("x", options), (error: unknown) => error instanceof InvalidArgumentError && error.argument === argument);
  refused({ jsonSchema: { type: "string", pattern: "^a+$" } }, "options.jsonSchema.pattern");
  refused({ jsonSchema: { type: "object", properties: { n: { type: "integer", minimum: 3 } } } }, "options.jsonSchema.properties.n.minimum");
  refused({ jsonSchema: { type: "object", properties: { x: {} } } }, "options.jsonSchema.properties.x");
  refused({ jsonSchema: { type: "object", properties: {}, required: ["ghost"] } }, "options.jsonSchema.required");
  refused({ jsonSchema: { allOf: [{ type: "string" }] } }, "options.jsonSchema");
  refused({ jsonSchema: { type: "wizard" } }, "options.jsonSchema.type");
  refused({ jsonSchema: { $ref: "#/definitions/a" } }, "options.jsonSchema.$ref");
  refused({ jsonSchema: "string" }, "options.jsonSchema");
  refused({ grammar: "root ::= (" }, "options.grammar");
  refused({ grammar: 'root ::= "a"', jsonSchema: { type: "boolean" } }, "options.grammar");
  // The context is unharmed.
  assert.equal(context.busySequences, 0);
});

test("zod's .int() schemas work: safe-integer bounds bound nothing and are accepted; real bounds are still refused", async () => {
  const { z } = await import("zod");
  const schema = z.toJSONSchema(z.object({ verse: z.number().int(), chapter: z.int(), book: z.string().max(12) }));
  assert.equal((schema.properties as Record<string, { maximum?: number }>).verse!.maximum, Number.MAX_SAFE_INTEGER, "zod writes the safe-integer bounds");
  // This Ajv speaks draft-07; the keywords used here mean the same in 2020-12.
  const { $schema: _draft, ...plain } = schema;
  const validate = ajv.compile(plain);
  for (const seed of [1, 2, 3]) {
    const result = await context.generate("And God said", { jsonSchema: schema, seed, maxTokens: 120 });
    const value: unknown = JSON.parse(result.text);
    assert.ok(validate(value), `${result.text}: ${ajv.errorsText(validate.errors)}`);
  }
  assert.throws(
    () => context.stream("x", { jsonSchema: z.toJSONSchema(z.object({ verse: z.int().min(3) })) }),
    (error: unknown) => error instanceof InvalidArgumentError && error.argument === "options.jsonSchema.properties.verse.minimum",
  );
});
