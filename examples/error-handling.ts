/**
 * Error handling: every error is a MullamaError with a stable `code` to switch on, and
 * a class to catch (ModelLoadError, ContextOverflowError, GenerationError, ...). Why a
 * generation stopped is not an error: it is `result.stopReason`.
 * Run: node --import tsx examples/error-handling.ts
 */
import { Context, ContextOverflowError, GenerationError, Model, ModelLoadError, MullamaError, defaultModelPath, type TokenEvent } from "../src/index.ts";

/** One place that turns any error into a line of output, switching on its code. */
function explain(error: unknown): string {
  if (!(error instanceof MullamaError)) throw error; // not ours: a bug, let it crash
  switch (error.code) {
    case "MODEL_LOAD_FAILED":
      return `cannot load the model: ${(error as ModelLoadError).reason}`;
    case "CONTEXT_OVERFLOW":
      return `too long for the context (${(error as ContextOverflowError).contextSize} tokens)`;
    case "GENERATION_FAILED":
      return `generation failed: ${error.message} (cause: ${String(error.cause)})`;
    default:
      return `${error.code}: ${error.message}`;
  }
}

// A missing file: ModelLoadError, with the path and the reason.
try {
  await Model.load("models/missing.gguf");
} catch (error) {
  console.log(`ModelLoadError? ${error instanceof ModelLoadError} -> ${explain(error)}`);
}

await using model = await Model.load(defaultModelPath);
await using context = await Context.create(model, { threads: 1 });

// A prompt that alone fills the context: thrown before anything is generated. (A maxTokens
// larger than the room left is not an error: generation stops when the context is full.)
try {
  await context.generateStreaming("And God said ".repeat(100), 10, (token) => void process.stdout.write(token));
} catch (error) {
  console.log(`ContextOverflowError? ${error instanceof ContextOverflowError} -> ${explain(error)}`);
}

// A callback that throws: the generation stops, its sequence is freed, and the call
// rejects with GenerationError whose `cause` is what the callback threw.
try {
  const onToken = (token: string, event: TokenEvent) => {
    process.stdout.write(token);
    if (event.tokenCount === 5) throw new Error("the display went away");
  };
  // Greedy (temperature 0): this prompt then surely runs past five tokens.
  await context.generateStreaming("And God said", 50, onToken, { temperature: 0 });
  console.log("\nGeneration complete");
} catch (error) {
  console.log(`\nGenerationError? ${error instanceof GenerationError} -> ${explain(error)}`);
}

// The seed's match: success, or a typed failure.
try {
  const result = await context.generateStreaming("And God said", 10, (token) => void process.stdout.write(token));
  console.log(`\nGeneration complete (${result.stopReason})`);
} catch (error) {
  console.error(`\nError: ${explain(error)}`);
}
