/** `mullama ps` against real servers on loopback: mullama's own (/api/ps with /health), one that wants a key, one without /api/ps (as llama.cpp's server), none at all. */
import assert from "node:assert/strict";
import { createServer as createHttpServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { basename } from "node:path";
import { after, before, test } from "node:test";
import { defaultServerAddress } from "../../src/cli/commands/ps.ts";
import { defaultModelPath } from "../../src/model/defaultModel.ts";
import { serverDefaults } from "../../src/server/serverOptions.ts";
import { makeScriptedModel } from "../fixtures/scriptedModel.ts";
import { runMullama } from "../helpers/cliProcess.ts";
import { startTestServer, type TestServer } from "./helpers.ts";

let harness: TestServer;
before(async () => {
  harness = await startTestServer({ parallel: 2, contextSize: 128, apiKey: "sesame" });
});
after(() => harness.server.close());

const portOf = (url: string) => new URL(url).port;

test("ps's default address is serve's", () => {
  assert.deepEqual(defaultServerAddress, { host: serverDefaults.host, port: serverDefaults.port });
});

test("ps lists the served model with its context, parallel requests and load; --json has the same", async () => {
  const table = await runMullama(["ps", "--port", portOf(harness.url), "--api-key", "sesame"]);
  assert.equal(table.code, 0, table.stderr);
  const [header, row, ...rest] = table.stdout.trimEnd().split("\n");
  assert.match(header!, /^NAME\s+SIZE\s+CONTEXT\s+PARALLEL\s+BUSY\s+QUEUED\s+UNTIL$/);
  // SIZE is what the server estimates the loaded model takes: weights and context.
  assert.match(row!, /^kjv-tiny-q8_0:latest\s+\d+\.\d MB\s+128\s+2\s+0\s+0\s+forever$/);
  assert.deepEqual(rest, []);
  const json = await runMullama(["ps", "--port", portOf(harness.url), "--json"], { env: { MULLAMA_API_KEY: "sesame" } });
  assert.equal(json.code, 0, json.stderr);
  const status = JSON.parse(json.stdout) as { url: string; status: string; models: Record<string, unknown>[] };
  assert.equal(status.url, harness.url);
  assert.equal(status.status, "ok");
  assert.equal(status.models.length, 1);
  const [model] = status.models;
  assert.ok((model!.sizeBytes as number) >= 2_120_704, "at least the file");
  assert.deepEqual(
    { ...model, expiresAt: undefined, sizeBytes: undefined },
    { name: "kjv-tiny-q8_0:latest", sizeBytes: undefined, parameters: "2.0M", quantization: "Q8_0", contextSize: 128, parallel: 2, busySequences: 0, queuedGenerations: 0, expiresAt: undefined },
  );
});

test("ps without the key a server wants says so, in one line", async () => {
  const { code, stdout, stderr } = await runMullama(["ps", "--port", portOf(harness.url)]);
  assert.equal(code, 1);
  assert.equal(stdout, "");
  assert.equal(stderr, `mullama: the server at ${harness.url} wants an API key: give --api-key or set MULLAMA_API_KEY\n`);
});

test("a server without /api/ps (as llama.cpp's) is described from /v1/models and /health", async () => {
  const llamaCppLike: Server = createHttpServer((request, response) => {
    const answers: Record<string, unknown> = {
      "/health": { status: "ok" },
      "/v1/models": { object: "list", data: [{ id: "qwen2.5-0.5b-instruct-q4_k_m.gguf", object: "model" }] },
    };
    const body = answers[request.url ?? ""];
    response.writeHead(body === undefined ? 404 : 200, { "content-type": "application/json" }).end(JSON.stringify(body ?? { error: "not found" }));
  });
  await new Promise<void>((resolve) => llamaCppLike.listen(0, "127.0.0.1", resolve));
  try {
    const port = String((llamaCppLike.address() as AddressInfo).port);
    const { code, stdout, stderr } = await runMullama(["ps", "--host", "127.0.0.1", "-p", port]);
    assert.equal(code, 0, stderr);
    assert.match(stdout.split("\n")[1]!, /^qwen2\.5-0\.5b-instruct-q4_k_m\.gguf\s+-\s+-\s+-\s+-\s+-\s+-$/);
  } finally {
    llamaCppLike.close();
  }
});

test("no server: one line that says how to start one, exit 1", async () => {
  const unused = createHttpServer();
  await new Promise<void>((resolve) => unused.listen(0, "127.0.0.1", resolve));
  const port = (unused.address() as AddressInfo).port;
  await new Promise((resolve) => unused.close(resolve));
  const { code, stderr } = await runMullama(["ps", "--port", String(port)]);
  assert.equal(code, 1);
  assert.equal(stderr, `mullama: no server answers at http://127.0.0.1:${port} (start one with "mullama serve", or point --host and --port at it)\n`);
});

test("a server of several models: ps lists those loaded, each with its own figures", async () => {
  const scripted = await makeScriptedModel({ pieces: ["Hi"], fileName: "ps-second" });
  const several = await startTestServer({ models: [defaultModelPath, scripted], parallel: 1, contextSize: 64 });
  try {
    const before = await runMullama(["ps", "--port", portOf(several.url)]);
    assert.equal(before.code, 0, before.stderr);
    assert.equal(before.stderr, `the server at ${several.url} has no model loaded (status: ok)\n`);
    const secondId = basename(scripted, ".gguf");
    for (const model of ["kjv-tiny-q8_0", secondId]) {
      const response = await fetch(`${several.url}/v1/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model, prompt: "Hi", max_tokens: 1 }) });
      assert.equal(response.status, 200, await response.text());
    }
    const after = await runMullama(["ps", "--port", portOf(several.url), "--json"]);
    const status = JSON.parse(after.stdout) as { models: { name: string; contextSize: number; parallel: number; busySequences: number }[] };
    assert.deepEqual(
      status.models.map(({ name, contextSize, parallel, busySequences }) => ({ name, contextSize, parallel, busySequences })).sort((a, b) => a.name.localeCompare(b.name)),
      [
        { name: "kjv-tiny-q8_0:latest", contextSize: 64, parallel: 1, busySequences: 0 },
        { name: `${secondId}:latest`, contextSize: 64, parallel: 1, busySequences: 0 },
      ],
    );
  } finally {
    await several.server.close();
  }
});
