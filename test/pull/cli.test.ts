/** The model commands as processes against a loopback hub: pull, list, show, rm, run -m <name>, a crash mid-pull, two pulls at once. */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { HuggingFaceHub } from "../helpers/huggingFaceServer.ts";
import { demoBytes, freshStore, startDemoHub } from "../helpers/pullFixtures.ts";
import { waitFor } from "../server/helpers.ts";

const main = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));
let hub: HuggingFaceHub;
before(async () => (hub = await startDemoHub()));
after(() => hub.close());

/** Runs `mullama <args>` with the test's store and hub (asynchronously: the hub lives in this process). */
function mullama(args: string[]) {
  const child = spawn(process.execPath, ["--import", "tsx", main, ...args], { env: { ...process.env }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (text: string) => (stdout += text));
  child.stderr.setEncoding("utf8").on("data", (text: string) => (stderr += text));
  const done = once(child, "exit").then(([code]) => ({ code: code as number | null, stdout, stderr }));
  return { child, done, output: () => ({ stdout, stderr }) };
}

const run = (args: string[]) => mullama(args).done;
const contentRequests = () => hub.requests.filter((request) => request.host === "content");

test("pull, list, show, run -m <name>, rm: the store from the command line", async () => {
  await freshStore(hub);
  const pulled = await run(["pull", "hf:test/kjv-tiny-GGUF:Q8_0"]);
  assert.equal(pulled.code, 0, pulled.stderr);
  assert.equal(pulled.stdout, "pulled hf.co/test/kjv-tiny-GGUF:Q8_0 (2.1 MB, Q8_0, 2.0M parameters)\n");
  assert.equal(pulled.stderr, "", "no progress bar when stderr is not a terminal");

  const list = await run(["list"]);
  assert.equal(list.code, 0, list.stderr);
  const [header, row, ...rest] = list.stdout.trimEnd().split("\n");
  assert.match(header!, /^NAME\s+SIZE\s+QUANTIZATION\s+PARAMETERS\s+PULLED$/);
  assert.match(row!, /^hf\.co\/test\/kjv-tiny-GGUF:Q8_0\s+2\.1 MB\s+Q8_0\s+2\.0M\s+just now$/);
  assert.deepEqual(rest, []);
  const listJson = JSON.parse((await run(["list", "--json"])).stdout) as { name: string; sizeBytes: number; files: { sha256: string }[] }[];
  assert.deepEqual(listJson.map((model) => [model.name, model.sizeBytes]), [["hf.co/test/kjv-tiny-GGUF:Q8_0", demoBytes.length]]);

  const show = await run(["show", "hf.co/test/kjv-tiny-GGUF:Q8_0"]);
  assert.equal(show.code, 0, show.stderr);
  for (const line of [/^hf\.co\/test\/kjv-tiny-GGUF:Q8_0$/m, /architecture\s+llama$/m, /quantization\s+Q8_0$/m, /context length\s+256 tokens$/m, /chat template\s+none$/m, /license\s+\S/m, /sha256\s+[0-9a-f]{64}  kjv-tiny-q8_0\.gguf$/m, /pulled .* from hf:test\/kjv-tiny-GGUF:Q8_0$/m]) {
    assert.match(show.stdout, line);
  }
  const showJson = JSON.parse((await run(["show", "hf:test/kjv-tiny-GGUF", "--json"])).stdout) as Record<string, unknown>;
  assert.equal(showJson.name, "hf.co/test/kjv-tiny-GGUF:Q8_0");
  assert.equal(showJson.architecture, "llama");
  assert.equal(showJson.contextLength, 256);
  assert.equal(showJson.embeddingLength, 192);

  const generated = await run(["run", "-m", "hf.co/test/kjv-tiny-GGUF:Q8_0", "In the beginning God created", "-t", "0", "--threads", "1", "-q"]);
  assert.equal(generated.code, 0, generated.stderr);
  assert.equal(generated.stdout, ", and I will not hearken unto the LORD.\n");

  const removed = await run(["rm", "hf.co/test/kjv-tiny-GGUF:Q8_0"]);
  assert.equal(removed.code, 0, removed.stderr);
  assert.equal(removed.stdout, "removed hf.co/test/kjv-tiny-GGUF:Q8_0 (2.1 MB)\n");
  const empty = await run(["list"]);
  assert.equal(empty.stdout, "");
  assert.match(empty.stderr, /^no models in .*; add one with "mullama pull <reference>"\n$/);
  const again = await run(["rm", "hf.co/test/kjv-tiny-GGUF:Q8_0"]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /"hf\.co\/test\/kjv-tiny-GGUF:Q8_0" is not in the model store/);
});

test("a reference not in the store: the error says how to pull it, and --pull pulls it first", async () => {
  await freshStore(hub);
  const missing = await run(["run", "-m", "hf:test/multi-GGUF:Q8_0", "In the beginning", "-n", "5", "--threads", "1"]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /not in the model store .*: pull it first with "mullama pull hf:test\/multi-GGUF:Q8_0"/);
  const pulled = await run(["run", "-m", "hf:test/multi-GGUF:Q8_0", "--pull", "In the beginning God created", "-t", "0", "--threads", "1", "-q"]);
  assert.equal(pulled.code, 0, pulled.stderr);
  assert.equal(pulled.stdout, ", and I will not hearken unto the LORD.\n");
  const unknown = await run(["show", "no-such-model"]);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /file not found, and no model of that name in the store/);
});

test("pull --json writes one JSON event per line; failures exit 1 with the reason", async () => {
  await freshStore(hub);
  const pulled = await run(["pull", "hf.co/test/kjv-tiny-GGUF:q8_0", "--json"]);
  assert.equal(pulled.code, 0, pulled.stderr);
  const events = pulled.stdout.trimEnd().split("\n").map((line) => JSON.parse(line) as { status: string; model?: { name: string } });
  assert.equal(events[0]!.status, "resolving");
  assert.equal(events.at(-1)!.status, "success");
  assert.equal(events.at(-1)!.model!.name, "hf.co/test/kjv-tiny-GGUF:Q8_0");
  assert.ok(events.some((event) => event.status === "downloading"));
  const failed = await run(["pull", "hf:test/no-such-repo:Q8_0"]);
  assert.equal(failed.code, 1);
  assert.match(failed.stderr, /^mullama: Cannot pull "hf:test\/no-such-repo:Q8_0": the repository was not found on 127\.0\.0\.1:\d+ \(HTTP 404\)\n$/);
  const usage = await run(["pull"]);
  assert.equal(usage.code, 2);
});

test("a pull killed mid-download (SIGKILL) leaves no model, and the next pull takes over its lock and resumes", async () => {
  const directory = await freshStore(hub);
  hub.faults.throttle = { chunkBytes: 64 * 1024, pauseMs: 40 };
  const first = mullama(["pull", "hf:test/kjv-tiny-GGUF:Q8_0"]);
  const partial = join(directory, ".partial", "hf.co%2Ftest%2Fkjv-tiny-GGUF%3AQ8_0", "kjv-tiny-q8_0.gguf.part");
  const deadline = Date.now() + 30_000;
  while ((await stat(partial).then((stats) => stats.size, () => 0)) < 400_000) {
    assert.ok(Date.now() < deadline, `the pull did not start: ${JSON.stringify(first.output())}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  first.child.kill("SIGKILL");
  await first.done;
  assert.ok((await readdir(join(directory, ".partial"))).some((entry) => entry.endsWith(".lock")), "the dead process's lock is still there");
  assert.deepEqual((await readdir(directory)).filter((entry) => !entry.startsWith(".")), [], "no model in the store");

  hub.faults = {};
  hub.requests.length = 0;
  const second = await run(["pull", "hf:test/kjv-tiny-GGUF:Q8_0", "--json"]);
  assert.equal(second.code, 0, second.stderr);
  const resumed = second.stdout.split("\n").filter(Boolean).map((line) => JSON.parse(line) as { status: string; fromBytes?: number }).find((event) => event.status === "resuming");
  assert.ok(resumed !== undefined && resumed.fromBytes! >= 400_000, second.stdout);
  assert.equal(contentRequests()[0]?.range, `bytes=${resumed.fromBytes}-`);
  const [stored] = (await readdir(directory)).filter((entry) => !entry.startsWith("."));
  assert.deepEqual(await readFile(join(directory, stored!, "kjv-tiny-q8_0.gguf")), demoBytes);
});

test("two pull processes at once: one downloads, the other waits, both succeed; Ctrl-C stops a pull that can resume", async () => {
  await freshStore(hub);
  // Slow until the second process is seen waiting, however slowly either starts, then fast.
  const throttle = { chunkBytes: 64 * 1024, pauseMs: 200 };
  hub.faults.throttle = throttle;
  const downloading = mullama(["pull", "hf:test/kjv-tiny-GGUF:Q8_0", "--json"]);
  await waitFor(() => downloading.output().stdout.includes('"downloading"'), 60_000, "the first pull downloading");
  const waiting = mullama(["pull", "hf:test/kjv-tiny-GGUF:Q8_0", "--json"]);
  await waitFor(() => waiting.output().stdout.includes('"status":"waiting"'), 60_000, "the second pull waiting");
  throttle.pauseMs = 0;
  const [first, second] = await Promise.all([downloading.done, waiting.done]);
  assert.equal(first.code, 0, first.stderr);
  assert.equal(second.code, 0, second.stderr);
  assert.equal(contentRequests().length, 1, "downloaded once");

  await freshStore(hub);
  hub.faults.throttle = { chunkBytes: 64 * 1024, pauseMs: 40 };
  const interrupted = mullama(["pull", "hf:test/kjv-tiny-GGUF:Q8_0", "--json"]);
  while (!interrupted.output().stdout.includes('"downloading"')) await new Promise((resolve) => setTimeout(resolve, 20));
  interrupted.child.kill("SIGINT");
  const result = await interrupted.done;
  assert.equal(result.code, 130);
  assert.match(result.stderr, /pull interrupted; run the same command again to resume/);
});

test("embed prints one normalized vector per text; --json adds the model, dimensions and token counts", async () => {
  const plain = await run(["embed", "In the beginning", "And God said", "--threads", "1"]);
  assert.equal(plain.code, 0, plain.stderr);
  const vectors = plain.stdout.trimEnd().split("\n").map((line) => JSON.parse(line) as number[]);
  assert.equal(vectors.length, 2);
  for (const vector of vectors) {
    assert.equal(vector.length, 192);
    assert.ok(Math.abs(Math.hypot(...vector) - 1) < 1e-9);
  }
  const json = await run(["embed", "--json", "--threads", "1", "In the beginning"]);
  const parsed = JSON.parse(json.stdout) as { dimensions: number; embeddings: { index: number; tokens: number; embedding: number[] }[] };
  assert.equal(parsed.dimensions, 192);
  assert.equal(parsed.embeddings[0]!.tokens, 8, "7 tokens of text and the BOS the model adds");
  assert.deepEqual(parsed.embeddings[0]!.embedding, vectors[0]);
  const empty = await run(["embed", ""]);
  assert.equal(empty.code, 2);
});

test("serve -m <store name> serves the stored model under its store name", async () => {
  await freshStore(hub);
  assert.equal((await run(["pull", "hf:test/kjv-tiny-GGUF:Q8_0"])).code, 0);
  const server = mullama(["serve", "-m", "hf:test/kjv-tiny-GGUF", "--port", "0", "--threads", "1", "--quiet"]);
  try {
    let url: string | undefined;
    const deadline = Date.now() + 30_000;
    while (url === undefined) {
      url = /serving (http:\/\/\S+)/.exec(server.output().stderr)?.[1];
      assert.ok(Date.now() < deadline, `the server did not start: ${server.output().stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const models = (await (await fetch(`${url}/v1/models`)).json()) as { data: { id: string }[] };
    assert.deepEqual(models.data.map((model) => model.id), ["hf.co/test/kjv-tiny-GGUF:Q8_0"]);
  } finally {
    server.child.kill("SIGTERM");
    await server.done;
  }
});
