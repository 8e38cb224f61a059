/** Pulls over a loopback Hugging Face Hub: the protocol, naming, resume, verification, and a store left as it was on failure. */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { AbortedError, InvalidArgumentError, Model, ModelLoadError, ModelNotFoundError, ModelStore, PullError, type PullProgress } from "../../src/index.ts";
import type { HuggingFaceHub } from "../helpers/huggingFaceServer.ts";
import { hubToken, startHuggingFaceHub } from "../helpers/huggingFaceServer.ts";
import { renameArchitecture, setMetadataEntry, writeEditedDemo } from "../helpers/editedModel.ts";
import { demoBytes, demoSha256, freshStore, partialFiles, startDemoHub, storeSnapshot } from "../helpers/pullFixtures.ts";

let hub: HuggingFaceHub;
before(async () => (hub = await startDemoHub()));
after(() => hub.close());

const contentRequests = () => hub.requests.filter((request) => request.host === "content");

test("hf:<user>/<repo>:<quant> resolves through the file list and the resolve redirect, verifies, and is loadable by name", async () => {
  const directory = await freshStore(hub);
  const events: PullProgress[] = [];
  const model = await Model.pull("hf:test/kjv-tiny-GGUF:Q8_0", { onProgress: (event) => events.push(event) });
  assert.equal(model.name, "hf.co/test/kjv-tiny-GGUF:Q8_0");
  assert.equal(model.reference, "hf:test/kjv-tiny-GGUF:Q8_0");
  assert.deepEqual(model.files.map((file) => [file.name, file.sizeBytes, file.sha256]), [["kjv-tiny-q8_0.gguf", demoBytes.length, demoSha256]]);
  assert.ok(model.path.startsWith(directory));
  assert.deepEqual(await readFile(model.path), demoBytes);
  assert.equal(model.architecture, "llama");
  assert.equal(model.quantization, "Q8_0");
  assert.equal(model.contextLength, 256);
  assert.ok(model.parameterCount > 1_000_000);

  assert.deepEqual([...new Set(events.map((event) => event.status))], ["resolving", "resolved", "downloading", "verifying", "probing", "success"]);
  const last = events.filter((event) => event.status === "downloading").at(-1);
  assert.equal(last?.status === "downloading" && last.completedBytes, demoBytes.length);
  assert.equal(last?.status === "downloading" && last.totalBytes, demoBytes.length);

  const paths = hub.requests.map((request) => `${request.host} ${request.url.replace(/[0-9a-f]{64}/, "<sha>")}`);
  assert.deepEqual(paths, [
    "hub /api/models/test/kjv-tiny-GGUF/tree/main?recursive=true",
    "hub /test/kjv-tiny-GGUF/resolve/main/kjv-tiny-q8_0.gguf",
    "content /blobs/<sha>?signature=short-lived",
  ]);
  assert.ok(hub.requests.every((request) => request.authorization === undefined), "no token, no Authorization header");
  assert.deepEqual((await new ModelStore().list()).map((stored) => stored.name), ["hf.co/test/kjv-tiny-GGUF:Q8_0"]);
  assert.equal(await readFile(`${model.directory}/manifest.json`, "utf8").then((text) => JSON.parse(text).files[0].sha256), demoSha256);

  // Loaded by store name, by reference, and by path: the same model, the same greedy text.
  const texts: string[] = [];
  for (const name of ["hf.co/test/kjv-tiny-GGUF:Q8_0", "hf:test/kjv-tiny-GGUF:q8_0", "hf:test/kjv-tiny-GGUF"]) {
    await using loaded = await Model.load(name);
    assert.equal(loaded.path, model.path);
    await using context = await loaded.createContext({ threads: 1 });
    texts.push((await context.generate("In the beginning God created", { temperature: 0, maxTokens: 12 })).text);
  }
  assert.equal(new Set(texts).size, 1);
  assert.match(texts[0]!, /^, and I will not/);
});

test("no quantization: Q4_K_M is the default and the pull says so; vision projectors are never chosen; Ollama's hf.co form works", async () => {
  await freshStore(hub);
  const events: PullProgress[] = [];
  const chosen = await Model.pull("hf:test/multi-GGUF", { onProgress: (event) => events.push(event) });
  assert.equal(chosen.name, "hf.co/test/multi-GGUF:Q4_K_M");
  assert.deepEqual(chosen.files.map((file) => file.name), ["model-Q4_K_M.gguf"]);
  const resolved = events.find((event) => event.status === "resolved");
  assert.match(resolved?.status === "resolved" ? (resolved.note ?? "") : "", /took Q4_K_M \(the default\); available: Q8_0, Q4_K_M/);

  const ollamaForm = await Model.pull("hf.co/test/multi-GGUF:q8_0");
  assert.equal(ollamaForm.name, "hf.co/test/multi-GGUF:Q8_0");
  const byFile = await Model.pull("hf:test/multi-GGUF/model-Q8_0.gguf");
  assert.equal(byFile.name, "hf.co/test/multi-GGUF/model-Q8_0.gguf");

  // A repository with Q8_0 only: that is the default, and the note says Q4_K_M is missing.
  const notes: string[] = [];
  const only = await Model.pull("hf:test/kjv-tiny-GGUF", { onProgress: (event) => event.status === "resolved" && notes.push(event.note ?? "") });
  assert.equal(only.name, "hf.co/test/kjv-tiny-GGUF:Q8_0");
  assert.match(notes[0]!, /took Q8_0 \(the repository has no Q4_K_M\)/);

  const store = new ModelStore();
  assert.deepEqual((await store.list()).map((model) => model.name), ["hf.co/test/kjv-tiny-GGUF:Q8_0", "hf.co/test/multi-GGUF/model-Q8_0.gguf", "hf.co/test/multi-GGUF:Q4_K_M", "hf.co/test/multi-GGUF:Q8_0"]);
  // A tagless reference finds the stored default.
  assert.equal((await store.find("hf.co/test/multi-GGUF"))?.name, "hf.co/test/multi-GGUF:Q4_K_M");
});

test("a missing repository, file or quantization is a not-found PullError, and the store is untouched", async () => {
  const directory = await freshStore(hub);
  await Model.pull("hf:test/kjv-tiny-GGUF:Q8_0");
  const before = await storeSnapshot(directory);
  const notFound = (pattern: RegExp, status?: number) => (error: unknown) =>
    error instanceof PullError && error.code === "PULL_FAILED" && error.failure === "not-found" && error.httpStatus === status && pattern.test(error.message);
  await assert.rejects(Model.pull("hf:test/no-such-repo:Q8_0"), notFound(/repository was not found .*HTTP 404/, 404));
  await assert.rejects(Model.pull("hf:test/kjv-tiny-GGUF/absent.gguf"), notFound(/absent\.gguf: not found \(HTTP 404\)/, 404));
  await assert.rejects(Model.pull("hf:test/kjv-tiny-GGUF:Q2_K"), notFound(/has no Q2_K file; it has Q8_0/));
  assert.deepEqual(await storeSnapshot(directory), before);
  assert.deepEqual(await partialFiles(directory), []);
});

test("HF_TOKEN: 401 without it, sent to the hub with it, never to the content host it redirects to, never in a message", async () => {
  const directory = await freshStore(hub);
  const error = await Model.pull("hf:test/private-GGUF:Q8_0").catch((caught: unknown) => caught);
  assert.ok(error instanceof PullError);
  assert.equal(error.failure, "unauthorized");
  assert.equal(error.httpStatus, 401);
  assert.match(error.message, /private or gated.*set HF_TOKEN/);
  assert.deepEqual(await storeSnapshot(directory), []);

  process.env.HF_TOKEN = "hf_wrong";
  const refused = await Model.pull("hf:test/private-GGUF:Q8_0").catch((caught: unknown) => caught);
  assert.ok(refused instanceof PullError && /refused the token in HF_TOKEN/.test(refused.message) && !refused.message.includes("hf_wrong"));

  process.env.HF_TOKEN = hubToken;
  hub.requests.length = 0;
  const model = await Model.pull("hf:test/private-GGUF:Q8_0");
  assert.equal(model.files[0]!.sha256, demoSha256);
  const hubRequests = hub.requests.filter((request) => request.host === "hub");
  assert.ok(hubRequests.length >= 2 && hubRequests.every((request) => request.authorization === `Bearer ${hubToken}`));
  assert.ok(contentRequests().length === 1 && contentRequests().every((request) => request.authorization === undefined), "the redirect to another origin drops the token");
  assert.ok(!JSON.stringify(model).includes(hubToken));
  delete process.env.HF_TOKEN;
});

test("a connection cut mid-file resumes with Range and the file is still exact", async () => {
  await freshStore(hub);
  hub.faults.cut = { afterBytes: 700_000, times: 1 };
  const events: PullProgress[] = [];
  const model = await Model.pull("hf:test/kjv-tiny-GGUF:Q8_0", { onProgress: (event) => events.push(event) });
  const ranges = contentRequests().map((request) => request.range);
  assert.equal(ranges.length, 2);
  assert.equal(ranges[0], undefined);
  const resumedAt = Number(/^bytes=(\d+)-$/.exec(ranges[1] ?? "")?.[1]);
  assert.ok(resumedAt > 0 && resumedAt <= 700_000, `resumed at ${resumedAt}`);
  assert.deepEqual(events.filter((event) => event.status === "resuming").map((event) => event.status === "resuming" && event.fromBytes), [resumedAt]);
  assert.deepEqual(await readFile(model.path), demoBytes);
});

test("with no retries left the cut is an error, the bytes are kept aside, the store has no model, and the next pull resumes", async () => {
  const directory = await freshStore(hub);
  hub.faults.cut = { afterBytes: 500_000, times: 1 };
  const error = await Model.pull("hf:test/kjv-tiny-GGUF:Q8_0", { retries: 0 }).catch((caught: unknown) => caught);
  assert.ok(error instanceof PullError, String(error));
  assert.equal(error.failure, "network");
  assert.equal(error.resumable, true);
  assert.match(error.message, /kjv-tiny-q8_0\.gguf: the connection (was lost|closed).* of 2\d{6} bytes/);
  assert.deepEqual(await storeSnapshot(directory), []);
  assert.deepEqual(await new ModelStore().list(), []);
  const kept = await partialFiles(directory);
  assert.equal(kept.length, 2, "the part file and its sidecar");
  assert.ok(kept.some((path) => /kjv-tiny-q8_0\.gguf\.part \d+/.test(path)));

  hub.requests.length = 0;
  const events: PullProgress[] = [];
  const model = await Model.pull("hf:test/kjv-tiny-GGUF:Q8_0", { onProgress: (event) => events.push(event) });
  const resumed = events.find((event) => event.status === "resuming");
  assert.ok(resumed?.status === "resuming" && resumed.fromBytes > 0);
  assert.equal(contentRequests()[0]?.range, `bytes=${resumed.fromBytes}-`);
  assert.deepEqual(await readFile(model.path), demoBytes);
  assert.deepEqual(await partialFiles(directory), []);
});

test("a server that lies about the size or the hash gets a corrupt error, and nothing is kept", async () => {
  const directory = await freshStore(hub);
  const corrupt = (pattern: RegExp) => (error: unknown) => error instanceof PullError && error.failure === "corrupt" && !error.resumable && pattern.test(error.message);
  hub.faults.announcedSize = demoBytes.length + 1000;
  await assert.rejects(Model.pull("hf:test/kjv-tiny-GGUF/kjv-tiny-q8_0.gguf"), corrupt(new RegExp(`announced ${demoBytes.length + 1000} bytes but sends ${demoBytes.length}`)));
  hub.faults.announcedSize = demoBytes.length - 1000;
  await assert.rejects(Model.pull("hf:test/kjv-tiny-GGUF/kjv-tiny-q8_0.gguf"), corrupt(/announced \d+ bytes but sends/));
  hub.faults = { announcedSha256: createHash("sha256").update("something else").digest("hex") };
  await assert.rejects(Model.pull("hf:test/kjv-tiny-GGUF/kjv-tiny-q8_0.gguf"), corrupt(/SHA-256 of what arrived \([0-9a-f]{64}\) is not the one the server announced/));
  // Whole and as announced, but not a GGUF model: the header check refuses it.
  hub.faults = { replaceContent: Buffer.from("<html><body>Sign in to continue</body></html>") };
  await assert.rejects(Model.pull("hf:test/kjv-tiny-GGUF/kjv-tiny-q8_0.gguf"), corrupt(/not a usable GGUF model \(not a GGUF file/));
  assert.deepEqual(await storeSnapshot(directory), []);
  assert.deepEqual(await partialFiles(directory), []);
});

test("two pulls of one model at once: one downloads, the other waits and finds it; a third finds it up to date", async () => {
  await freshStore(hub);
  hub.faults.throttle = { chunkBytes: 256 * 1024, pauseMs: 20 };
  const events: PullProgress[][] = [[], []];
  const [first, second] = await Promise.all([0, 1].map((index) => Model.pull("hf:test/kjv-tiny-GGUF:Q8_0", { onProgress: (event) => events[index]!.push(event) })));
  assert.equal(first!.path, second!.path);
  assert.deepEqual(await readFile(first!.path), demoBytes);
  assert.equal(contentRequests().length, 1, "the file was downloaded once");
  assert.equal(events.flat().filter((event) => event.status === "waiting").length, 1);
  assert.equal(events.flat().filter((event) => event.status === "up-to-date").length, 1);

  hub.requests.length = 0;
  const again = await Model.pull("hf:test/kjv-tiny-GGUF:Q8_0");
  assert.equal(again.pulledAt.getTime(), first!.pulledAt.getTime());
  assert.equal(contentRequests().length, 0);
});

test("a split set downloads whole, keeps its part names, and loads from its first part", async () => {
  await freshStore(hub);
  hub.pageSize = 1;
  const model = await Model.pull("hf:test/split-GGUF:Q8_0");
  assert.equal(model.name, "hf.co/test/split-GGUF:Q8_0");
  assert.deepEqual(model.files.map((file) => file.name), ["kjv-split-Q8_0-00001-of-00002.gguf", "kjv-split-Q8_0-00002-of-00002.gguf"]);
  assert.ok(model.path.endsWith("kjv-split-Q8_0-00001-of-00002.gguf"));
  // Naming the second part pulls the same set.
  const byPart = await Model.pull("hf:test/split-GGUF/Q8_0/kjv-split-Q8_0-00002-of-00002.gguf");
  assert.deepEqual(byPart.files.map((file) => file.sha256), model.files.map((file) => file.sha256));
  await using loaded = await Model.load(model.name);
  await using context = await loaded.createContext({ threads: 1 });
  assert.equal((await context.generate("x", { temperature: 0, maxTokens: 10 })).text, "In the beginning");
});

test("an abort stops the pull with AbortedError, keeps the bytes, and the next pull resumes", async () => {
  const directory = await freshStore(hub);
  hub.faults.throttle = { chunkBytes: 64 * 1024, pauseMs: 30 };
  const controller = new AbortController();
  const pulling = Model.pull("hf:test/kjv-tiny-GGUF:Q8_0", {
    signal: controller.signal,
    onProgress: (event) => event.status === "downloading" && event.completedBytes > 300_000 && controller.abort(),
  });
  await assert.rejects(pulling, (error: unknown) => error instanceof AbortedError && error.code === "ABORTED");
  assert.deepEqual(await storeSnapshot(directory), []);
  hub.faults = {};
  const events: PullProgress[] = [];
  await Model.pull("hf:test/kjv-tiny-GGUF:Q8_0", { onProgress: (event) => events.push(event) });
  assert.ok(events.some((event) => event.status === "resuming" && event.fromBytes > 300_000));
});

test("a plain URL (http:// on loopback): its own name, size and ETag guard the resume, the ETag tells whether it changed", async () => {
  const directory = await freshStore(hub);
  hub.plainFiles.set("kjv-tiny-q8_0.gguf", demoBytes);
  const url = `${hub.contentOrigin}/files/kjv-tiny-q8_0.gguf`;
  hub.faults.cut = { afterBytes: 600_000, times: 1 };
  const events: PullProgress[] = [];
  const model = await Model.pull(url, { onProgress: (event) => events.push(event) });
  assert.equal(model.name, `${new URL(url).host}/files/kjv-tiny-q8_0.gguf`);
  assert.equal(model.files[0]!.sha256, demoSha256, "computed while downloading, though no server announced it");
  assert.ok(events.some((event) => event.status === "resuming"));
  assert.deepEqual(await readFile(model.path), demoBytes);

  hub.requests.length = 0;
  const events2: PullProgress[] = [];
  await Model.pull(url, { onProgress: (event) => events2.push(event) });
  assert.ok(events2.some((event) => event.status === "up-to-date"), "same size and ETag: nothing downloaded");

  // Changed on the server: the ETag differs, so it is downloaded again and replaces the old one.
  const changed = Buffer.from(demoBytes);
  changed[changed.length - 1] = changed.at(-1)! ^ 0xff;
  hub.plainFiles.set("kjv-tiny-q8_0.gguf", changed);
  const replaced = await Model.pull(url);
  assert.deepEqual(await readFile(replaced.path), changed);
  assert.deepEqual((await new ModelStore().list()).map((stored) => stored.name), [model.name]);
  assert.deepEqual(await partialFiles(directory), []);
});

test("bytes kept from an interrupted pull of a file that has changed on the server since are dropped, not resumed", async () => {
  await freshStore(hub);
  hub.faults.cut = { afterBytes: 500_000, times: 1 };
  await assert.rejects(Model.pull("hf:test/kjv-tiny-GGUF:Q8_0", { retries: 0 }), PullError);
  const changed = Buffer.from(demoBytes);
  changed[changed.length - 1] = changed.at(-1)! ^ 0xff;
  hub.faults = { replaceContent: changed };
  const events: PullProgress[] = [];
  const model = await Model.pull("hf:test/kjv-tiny-GGUF:Q8_0", { onProgress: (event) => events.push(event) });
  assert.ok(!events.some((event) => event.status === "resuming"));
  assert.deepEqual(await readFile(model.path), changed);
  assert.equal(model.files[0]!.sha256, createHash("sha256").update(changed).digest("hex"));
});

test("bad references and options are InvalidArgumentErrors", async () => {
  await freshStore(hub);
  await assert.rejects(Model.pull("http://example.com/model.gguf"), (error: unknown) => error instanceof InvalidArgumentError && /only for loopback/.test(error.message));
  await assert.rejects(Model.pull("models/x.gguf"), (error: unknown) => error instanceof InvalidArgumentError && /not a model reference/.test(error.message));
  await assert.rejects(Model.pull("hf:test/kjv-tiny-GGUF:Q8_0", { retries: -1 }), (error: unknown) => error instanceof InvalidArgumentError && error.argument === "options.retries");
  await assert.rejects(Model.pull("hf:test/kjv-tiny-GGUF:Q8_0", { onProgress: "yes" } as never), (error: unknown) => error instanceof InvalidArgumentError && error.argument === "options.onProgress");
});

test("Model.load: a reference not in the store fails with how to pull it, or is pulled first with pull: true", async () => {
  await freshStore(hub);
  await assert.rejects(Model.load("hf:test/multi-GGUF:Q8_0"), (error: unknown) =>
    error instanceof ModelLoadError && error.path === "hf:test/multi-GGUF:Q8_0" && /not in the model store .*pull it first with "mullama pull hf:test\/multi-GGUF:Q8_0"/.test(error.message));
  await assert.rejects(Model.load("hf.co/test/none:Q8_0/x"), InvalidArgumentError);
  const statuses: string[] = [];
  await using model = await Model.load("hf:test/multi-GGUF:Q8_0", { pull: true, onPullProgress: (event) => statuses.push(event.status) });
  assert.equal(statuses.at(-1), "success");
  assert.equal((await new ModelStore().get("hf:test/multi-GGUF:Q8_0")).path, model.path);
  await assert.rejects(new ModelStore().get("hf:test/multi-GGUF:Q4_K_M"), (error: unknown) => error instanceof ModelNotFoundError && error.code === "MODEL_NOT_FOUND" && /mullama pull hf:test\/multi-GGUF:Q4_K_M/.test(error.message));
});

test("a download that would crash the engine is refused by the test load and never kept; probe: false keeps it", async () => {
  const scratch = await mkdtemp(join(tmpdir(), "mullama-crash-"));
  // Valid as far as validation can tell, yet llama.cpp aborts on it (see test/model/probe.test.ts).
  const crashing = await writeEditedDemo(scratch, "xverse-half-rope", (document) => {
    renameArchitecture(document, "xverse");
    setMetadataEntry(document, { key: "xverse.rope.dimension_count", type: "uint32", value: 16 });
  });
  const crashHub = await startHuggingFaceHub({ "test/crash-GGUF": { files: [{ path: "crash-Q8_0.gguf", data: await readFile(crashing) }] } });
  try {
    const directory = await freshStore(crashHub);
    const events: PullProgress[] = [];
    const error = await Model.pull("hf:test/crash-GGUF:Q8_0", { onProgress: (event) => events.push(event) }).catch((caught: unknown) => caught);
    assert.ok(error instanceof PullError, String(error));
    assert.equal(error.failure, "corrupt");
    assert.match(error.reason, /a test load of the model failed: the engine crashed on it in a test load \(SIGABRT: .*GGML_ASSERT/);
    assert.ok(events.some((event) => event.status === "probing"));
    assert.deepEqual(await storeSnapshot(directory), []);
    assert.deepEqual(await partialFiles(directory), []);
    // Without the probe the file is kept (validation cannot see this fault): the probe is what refused it.
    const kept = await Model.pull("hf:test/crash-GGUF:Q8_0", { probe: false });
    assert.equal(kept.architecture, "xverse");
  } finally {
    await crashHub.close();
    await rm(scratch, { recursive: true, force: true });
  }
});
