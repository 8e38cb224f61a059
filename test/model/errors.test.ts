import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import {
  Context,
  ContextOverflowError,
  InvalidArgumentError,
  Model,
  ModelLoadError,
  MullamaError,
  SequenceUnavailableError,
  TokenizationError,
  ContextError,
} from "../../src/index.ts";
import { greedy, loadDemo } from "../helpers/demoModel.ts";

let model: Model;
let context: Context;
before(async () => ({ model, context } = await loadDemo({ sequences: 1 })));
after(() => model.dispose());

const isInvalid = (argument: string) => (error: unknown) =>
  error instanceof InvalidArgumentError && error.code === "INVALID_ARGUMENT" && error.argument === argument && error instanceof MullamaError;

test("an empty or missing model path is a ModelLoadError naming the path", async () => {
  await assert.rejects(Model.load(""), (error: unknown) => error instanceof ModelLoadError && /non-empty/.test(error.reason));
  await assert.rejects(Model.load("/no/such/model.gguf"), (error: unknown) => error instanceof ModelLoadError && error.path === "/no/such/model.gguf");
});

test("bad model and context parameters are rejected before anything is loaded", async () => {
  await assert.rejects(Model.load("x.gguf", { gpuLayers: -1 } as never), isInvalid("params.gpuLayers"));
  await assert.rejects(Model.load("x.gguf", { colour: "red" } as never), isInvalid("params"));
  await assert.rejects(Context.create(model, { contextSize: 0 }), isInvalid("params.contextSize"));
  await assert.rejects(Context.create(model, { threads: Number.NaN }), isInvalid("params.threads"));
  await assert.rejects(Context.create(model, { sequences: 1.5 }), isInvalid("params.sequences"));
  await assert.rejects(Context.create(model, { flashAttention: "yes" } as never), isInvalid("params.flashAttention"));
});

test("bad generation options throw InvalidArgumentError naming the option", async () => {
  assert.throws(() => context.stream("x", { maxTokens: -1 }), isInvalid("options.maxTokens"));
  assert.throws(() => context.stream("x", { maxTokens: Number.NaN }), isInvalid("options.maxTokens"));
  assert.throws(() => context.stream("x", { temperature: Number.POSITIVE_INFINITY }), isInvalid("options.temperature"));
  assert.throws(() => context.stream("x", { topP: 1.5 }), isInvalid("options.topP"));
  assert.throws(() => context.stream("x", { seed: -3 }), isInvalid("options.seed"));
  assert.throws(() => context.stream("x", { stop: [""] }), isInvalid("options.stop.0"));
  assert.throws(() => context.stream("x", { maxTokenz: 3 } as never), (error: unknown) => isInvalid("options")(error) && /maxTokenz/.test(String((error as Error).message)));
  await assert.rejects(context.generate("x", { signal: "abort" } as never), isInvalid("options.signal"));
  await assert.rejects(context.generateStreaming("x", 0, () => true), isInvalid("options.maxTokens"));
  await assert.rejects(context.generateStreaming("x", 5, "nope" as never), isInvalid("onToken"));
});

test("a maxTokens beyond the room left generates until the context is full; only a prompt that fills it is a ContextOverflowError", async () => {
  const result = await context.generate("And God said", { maxTokens: 300, temperature: 0 });
  assert.equal(result.promptTokens, 4);
  assert.ok(result.tokenCount <= 252);
  if (result.stopReason === "maxTokens") assert.equal(result.tokenCount, 252);
  else assert.equal(result.stopReason, "eos");
  const longPrompt = "And God said ".repeat(100);
  const error = (() => {
    try {
      context.stream(longPrompt, { maxTokens: 5 });
    } catch (caught) {
      return caught;
    }
  })();
  assert.ok(error instanceof ContextOverflowError);
  assert.equal(error.code, "CONTEXT_OVERFLOW");
  assert.equal(error.contextSize, 256);
  assert.equal(error.maxTokens, 5);
  assert.ok(error.promptTokens > 256);
  assert.match(error.message, /leaves no room to generate/);
});

test("token ids outside the vocabulary are refused before they reach the engine", async () => {
  assert.throws(() => model.detokenize([1, 5000]), (error: unknown) => error instanceof TokenizationError && /5000/.test(error.message));
  assert.throws(() => model.detokenize([-1]), TokenizationError);
  assert.throws(() => model.detokenize([1.5]), TokenizationError);
  assert.throws(() => context.stream([1, 2, 1024]), TokenizationError);
  assert.throws(() => context.stream([]), TokenizationError);
  assert.equal(model.detokenize([]), "");
});

test("with every sequence busy, wait: false fails at once; the default waits its turn", async () => {
  const first = context.stream("And God said", { ...greedy, maxTokens: 30 });
  const iterator = first[Symbol.asyncIterator]();
  await iterator.next();
  assert.equal(context.busySequences, 1);
  await assert.rejects(context.generate("The LORD", { ...greedy, maxTokens: 5, wait: false }), SequenceUnavailableError);
  assert.throws(() => context.stream("The LORD", { wait: false }), SequenceUnavailableError, "refused before iteration starts");
  const waiting = context.generate("The LORD", { ...greedy, maxTokens: 5 });
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(context.waitingGenerations, 1);
  await iterator.return!();
  const result = await waiting;
  assert.equal(result.tokenCount, 5);
  assert.ok(result.timings.queueMs > 0);
});

test("a stream is consumed once", async () => {
  const stream = context.stream("And God said", { ...greedy, maxTokens: 3 });
  await stream.text();
  assert.throws(() => stream[Symbol.asyncIterator](), InvalidArgumentError);
});

test("a disposed context ends its generations with abort and refuses new ones", async () => {
  const { model: other, context: doomed } = await loadDemo();
  const stream = doomed.stream("And God said", { ...greedy, maxTokens: 100 });
  const iterator = stream[Symbol.asyncIterator]();
  await iterator.next();
  await doomed.dispose();
  assert.equal((await stream.result).stopReason, "abort");
  assert.throws(() => doomed.stream("x"), (error: unknown) => error instanceof ContextError && error.code === "DISPOSED");
  await other.dispose();
  assert.throws(() => other.tokenize("x"), (error: unknown) => error instanceof MullamaError && error.code === "DISPOSED");
});

test("an engine that cannot start is a ModelLoadError naming the model", async (t) => {
  // Without a CUDA driver the engine cannot start its CUDA build (and builds nothing: build is "never").
  const failure = await Model.load(model.path, { gpu: "cuda" }).then(
    (loaded) => loaded.dispose(),
    (error: unknown) => error,
  );
  if (failure === undefined) return t.skip("this machine runs CUDA");
  assert.ok(failure instanceof ModelLoadError, String(failure));
  assert.equal(failure.code, "MODEL_LOAD_FAILED");
  assert.equal(failure.path, model.path);
  assert.match(failure.reason, /engine could not start \(gpu: cuda\)/);
});
