/**
 * Context.connect against llama.cpp's own `llama-server` on the demo model, when the
 * `LLAMA_SERVER` environment variable names its binary (skipped otherwise: none is
 * bundled). Greedy text equals mullama's local greedy text; stop strings hold; a break
 * frees the server's slot (its `/slots` says so).
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { Context, defaultModelPath, type RemoteContext } from "../../src/index.ts";
import { loadDemo } from "../helpers/demoModel.ts";
import { unusedPort } from "../helpers/ports.ts";
import { waitFor } from "../server/helpers.ts";

const binary = process.env.LLAMA_SERVER;
const prompt = "In the beginning";

describe("Context.connect to llama.cpp's llama-server", { skip: binary === undefined ? "set LLAMA_SERVER to a llama-server binary to run" : false }, () => {
  let child: ChildProcess;
  let base: string;
  let remote: RemoteContext;
  before(async () => {
    const port = await unusedPort();
    child = spawn(binary!, ["-m", defaultModelPath, "--host", "127.0.0.1", "--port", String(port), "-t", "1", "-c", "1024", "-np", "1"], { stdio: "ignore" });
    base = `http://127.0.0.1:${port}`;
    await waitFor(async () => (await fetch(`${base}/health`).catch(() => undefined))?.status === 200, 30_000, "llama-server to load the model");
    remote = await Context.connect(`${base}/v1`);
  });
  after(() => child?.kill());

  test("greedy text equals mullama's local greedy text", async () => {
    const { model, context } = await loadDemo({ contextSize: 512 });
    try {
      const local = await context.generate(prompt, { temperature: 0, maxTokens: 16 });
      const result = await remote.generate(prompt, { temperature: 0, maxTokens: 16 });
      assert.equal(result.text, local.text);
      assert.equal(result.stopReason, "maxTokens");
      const stop = local.text.slice(8, 12);
      assert.equal((await remote.generate(prompt, { temperature: 0, maxTokens: 16, stop })).text, local.text.slice(0, local.text.indexOf(stop)));
    } finally {
      await context.dispose();
      await model.dispose();
    }
  });

  test("a break frees the server's slot", async () => {
    const stream = remote.stream(prompt, { temperature: 0, maxTokens: 500 });
    for await (const _event of stream) break;
    const idle = async () => ((await (await fetch(`${base}/slots`)).json()) as { is_processing: boolean }[]).every((slot) => !slot.is_processing);
    await waitFor(idle, 5_000, "llama-server's slot to be free");
  });
});
