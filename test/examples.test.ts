/**
 * Runs every examples/*.ts file as its own process, one at a time (each loads the demo
 * model), as a user would: `node --import tsx examples/<file>`. Each must exit by itself
 * with code 0 and print something; for the examples whose output does not depend on
 * sampling, what they print is checked too.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const examples = readdirSync(new URL("../examples/", import.meta.url))
  .filter((name) => name.endsWith(".ts"))
  .sort();

/** Most time one example may take, model load included, in milliseconds. */
const exampleTimeoutMs = 90_000;

/** What each example must print, beyond "something". Examples not listed (the server ones) only have to succeed. */
const expectedOutput: Record<string, RegExp[]> = {
  "basic-streaming.ts": [/\[\d+ tokens, stopped by (maxTokens|eos)\]/],
  "early-stopping.ts": [/^ unto him, I will not go up to the king of Babylon\n-> stopped by callback after 17 tokens$/m, /" unto him, I will not go up to the king of " -> stopped by stop \("Babylon"\)/],
  "collecting-output.ts": [/Full response: "/, /Same as result\.text: true/, /stream\(\)\.text\(\) gives the same greedy text: true/],
  "progress-tracking.ts": [/Generated \d+ tokens in \d+\.\d\ds/, /trackProgress reported 4 times over 100 tokens/],
  "channels.ts": [/consumer: \d+ tokens, stopped by (maxTokens|eos)/, /producer: delivery completed/, /Full response from the consumer thread: "/],
  "async-streaming.ts": [/\(producer: completed\)/, /\(stopped by abort\)/],
  "server-sent-events.ts": [/^token ".+"$/m, /^done \{"stopReason":"(maxTokens|eos)","usage":\{"promptTokens":4,/m],
  "websocket.ts": [/\ndone: \{"promptTokens":4,"completionTokens":\d+/],
  "buffered-streaming.ts": [/^\| unto him, I will\| not go up to the\| king/m, /^\| unto\| him,\| I\| will/m, /\d+ timed pieces/, /nothing lost: true/],
  "error-handling.ts": [/ModelLoadError\? true -> cannot load the model/, /ContextOverflowError\? true -> too long for the context \(256 tokens\)/, /GenerationError\? true -> .*cause: Error: the display went away/, /Generation complete \((maxTokens|eos)\)/],
  "embeddings.ts": [/^192 dimensions, 4 texts$/m, /^1\.000  The LORD is my shepherd; I shall not want\.$/m],
  "best-practices.ts": [/\[first token after [\d.]+ ms, \d+ tokens\/s\]/, /stopped by (maxTokens|eos|abort)/],
};

function run(file: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", file], { cwd: root, timeout: exampleTimeoutMs, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

test("there is an example for every section of the seed", () => {
  for (const name of Object.keys(expectedOutput)) assert.ok(examples.includes(name), `examples/${name} is missing`);
});

for (const name of examples) {
  test(`examples/${name} runs, exits by itself and prints`, async () => {
    const { code, signal, stdout, stderr } = await run(`examples/${name}`);
    assert.equal(signal, null, `killed by ${signal} (over ${exampleTimeoutMs} ms?)\n${stderr}`);
    assert.equal(code, 0, `exit code ${code}\n${stderr}`);
    assert.notEqual(stdout.trim(), "", "printed nothing");
    for (const pattern of expectedOutput[name] ?? []) assert.match(stdout, pattern);
  });
}
