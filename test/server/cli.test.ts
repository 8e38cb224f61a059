/** `mullama serve` as a process: it starts, serves, and on SIGTERM lets a running stream finish, then exits 0. */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { postJson, readServerSentEvents } from "./helpers.js";

const main = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));

function runCli(args: string[]) {
  const child = spawn(process.execPath, ["--import", "tsx", main, ...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, MULLAMA_API_KEY: "" } });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (text: string) => (stderr += text));
  child.stdout.resume();
  return { child, stderr: () => stderr };
}

/** The URL from the "serving" line, once the server is ready. */
async function servingUrl(stderr: () => string): Promise<string> {
  const deadline = performance.now() + 20_000;
  for (;;) {
    const url = /serving (http:\/\/\S+)/.exec(stderr())?.[1];
    if (url !== undefined) return url;
    if (performance.now() > deadline) throw new Error(`the server did not start: ${stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test("serve --help prints the flags and exits 0", async () => {
  const { child } = runCli(["serve", "--help"]);
  let stdout = "";
  child.stdout.removeAllListeners("data").setEncoding("utf8").on("data", (text: string) => (stdout += text));
  const [code] = await once(child, "exit");
  assert.equal(code, 0);
  for (const flag of ["--model", "--host", "--port", "--parallel", "--context-size", "--api-key", "--cors-origin", "--max-queue", "--grace-period", "--resume-window", "--no-ui"]) assert.ok(stdout.includes(flag), flag);
});

test("serve with a bad flag value exits with an error, naming the flag", async () => {
  const { child, stderr } = runCli(["serve", "--parallel", "zero"]);
  const [code] = await once(child, "exit");
  assert.notEqual(code, 0);
  assert.match(stderr(), /--parallel/);
});

test("SIGTERM: the running stream finishes, the model is freed, the process exits 0", async () => {
  const { child, stderr } = runCli(["serve", "--port", "0", "--threads", "1", "--parallel", "2", "--context-size", "256", "--quiet"]);
  const exited = once(child, "exit");
  const url = await servingUrl(stderr);
  assert.equal((await fetch(`${url}/health`)).status, 200);
  assert.match(stderr(), new RegExp(`chat in a browser at ${url}/\n`));
  const response = await postJson(`${url}/generate`, { prompt: "And God said", options: { temperature: 0, maxTokens: 240 } });
  const events = readServerSentEvents(response.body!);
  await events.next();
  child.kill("SIGTERM");
  const rest = [];
  for await (const event of events) rest.push(event);
  assert.match(stderr(), /SIGTERM received, shutting down/, "the signal arrived while the stream was running");
  assert.equal(rest.at(-1)!.event, "done");
  // Hundreds of tokens take a fraction of a second here: the stream ran on after the signal to
  // its natural end (greedy, this prompt runs to maxTokens within the 256-token training context), not cancelled.
  assert.notEqual(JSON.parse(rest.at(-1)!.data!).stopReason, "abort");
  assert.ok(rest.filter((event) => event.event === "token").length > 100);
  const [code] = await exited;
  assert.equal(code, 0);
  assert.match(stderr(), /stopped/);
});

test("serve --no-ui: no chat page at /, the API as before", async () => {
  const { child, stderr } = runCli(["serve", "--port", "0", "--threads", "1", "--parallel", "1", "--no-ui", "--quiet"]);
  const exited = once(child, "exit");
  try {
    const url = await servingUrl(stderr);
    assert.equal((await fetch(`${url}/`)).status, 404);
    assert.equal((await fetch(`${url}/v1/models`)).status, 200);
    assert.doesNotMatch(stderr(), /chat in a browser/);
  } finally {
    child.kill("SIGTERM");
    await exited;
  }
});
