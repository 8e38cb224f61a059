/**
 * The quick run of the model-file fuzz suite (the full run is `npm run fuzz`): 20 mutated
 * copies of the demo model of every kind, loaded in child processes through Model.load
 * and a 5-token generation. Nothing may kill the process, hang or fail with anything but
 * a ModelLoadError.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { fuzzKindNames } from "../../scripts/fuzz/fuzzCases.ts";
import { runFuzz } from "../../scripts/fuzz/runFuzz.ts";

const casesPerKind = 20;

test(`${casesPerKind} mutated files of every kind: no deaths, no hangs, every refusal a ModelLoadError`, async () => {
  const summary = await runFuzz({ seed: 13, count: casesPerKind * fuzzKindNames.length });
  const failures = summary.failures.map((failure) => `case ${failure.index} (${failure.kind}) ${failure.outcome}: ${failure.description}: ${failure.detail}`);
  assert.deepEqual(failures, []);
  let refused = 0;
  for (const kind of fuzzKindNames) {
    const counts = summary.counts.get(kind)!;
    const total = Object.values(counts).reduce((sum, count) => sum + count, 0);
    assert.equal(total, casesPerKind, kind);
    refused += counts.refused + counts["refused by engine"];
  }
  // The mutations do damage: most files are refused, and the validation refuses most of those.
  assert.ok(refused > summary.count / 2, `${refused} of ${summary.count} refused`);
});
