/** The near-tie judge of the stress suite, on the demo model: it walks the same greedy path as the library, and places a departure from it. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { judgeMismatches, NearTieJudge, nearTieGap, type PathStep } from "../../bench/stress/nearTie.ts";
import { PhaseTally } from "../../bench/stress/tally.ts";
import { promptText, type RequestSpec } from "../../bench/stress/requests.ts";
import { greedy, loadDemo } from "../helpers/demoModel.ts";

test("the judge's greedy path is the library's; a departure is placed at its token, with the gap there, and judged", async () => {
  const spec: RequestSpec = { kind: "openai-chat-stream", prompt: "And it came to pass", maxTokens: 34 };
  const judge = await NearTieJudge.open(512);
  const { model, context } = await loadDemo({ contextSize: 512 });
  try {
    const steps: PathStep[] = [];
    for await (const step of judge.path(spec)) steps.push(step);
    assert.equal(steps.length, spec.maxTokens);
    const text = steps.at(-1)!.best;
    assert.equal(text, (await context.generate(promptText(spec), { ...greedy, maxTokens: spec.maxTokens })).text);
    assert.equal(await judge.judge(spec, text), undefined, "the greedy text never leaves the path");

    // The closest call on the path, taken the other way.
    const closest = steps.reduce((best, step, index) => (step.gap < steps[best]!.gap ? index : best), 0);
    assert.deepEqual(await judge.judge(spec, `${steps[closest]!.runnerUp} and so on`), { token: closest, gap: steps[closest]!.gap, tookRunnerUp: true });

    // Leaving the path for neither of the two likeliest tokens.
    const elsewhere = await judge.judge(spec, `${steps[3]!.before} 12345`);
    assert.equal(elsewhere?.token, 3);
    assert.equal(elsewhere?.tookRunnerUp, false);
    assert.ok(elsewhere!.gap > 0);

    // In a phase's tally: the first is a near-tie here (its two tokens are 0.0014 apart), the second a fault.
    assert.ok(steps[closest]!.gap < nearTieGap);
    const tally = new PhaseTally("test");
    for (const different of [`${steps[closest]!.runnerUp} and so on`, `${steps[3]!.before} 12345`]) {
      tally.record(spec, { kind: "completed", text: different, firstPieceMs: 1 }, { expected: text });
    }
    await judgeMismatches(tally, judge, 512);
    assert.equal(tally.nearTies.length, 1);
    assert.equal(tally.unequal, 1);
    assert.match(tally.problems[0]!, /left the greedy path at token 4/);
  } finally {
    await judge.dispose();
    await context.dispose();
    await model.dispose();
  }
});
