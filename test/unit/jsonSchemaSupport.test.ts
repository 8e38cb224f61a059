/** What the schema check lets through to the grammar compiler: zod's safe-integer bounds are dropped, any real bound is refused. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { z } from "zod";
import { grammarJsonSchema } from "../../src/engine/jsonSchemaSupport.ts";
import { InvalidArgumentError } from "../../src/errors.ts";

test("zod's .int() bounds (a safe integer) are dropped; a bound the caller chose is still refused", () => {
  const written = z.toJSONSchema(z.object({ days: z.number().int() })) as unknown as { properties: { days: object } };
  assert.deepEqual(written.properties.days, { type: "integer", minimum: Number.MIN_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER });
  assert.deepEqual(grammarJsonSchema(written.properties.days, "schema"), { type: "integer" });
  assert.deepEqual(grammarJsonSchema({ type: "number", maximum: Number.MAX_SAFE_INTEGER }, "schema"), { type: "number" });
  for (const bounds of [{ minimum: 0 }, { minimum: Number.MIN_SAFE_INTEGER, maximum: 10 }, { maximum: "big" }]) {
    assert.throws(
      () => grammarJsonSchema({ type: "integer", ...bounds }, "schema"),
      (error: unknown) => error instanceof InvalidArgumentError && /^schema\.(minimum|maximum)$/.test(error.argument),
      JSON.stringify(bounds),
    );
  }
  // Only numbers carry numeric bounds.
  assert.throws(() => grammarJsonSchema({ type: "string", maximum: Number.MAX_SAFE_INTEGER }, "schema"), InvalidArgumentError);
});
