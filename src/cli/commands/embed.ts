/** `mullama embed [text...]`: embedding vectors of texts, one per argument or per line of stdin. */
import { EmbeddingContext } from "../../embedding/EmbeddingContext.js";
import { defineCommand, UsageError } from "../command.js";
import { integerFlag } from "../flags.js";
import { cappedContextSize, loadModelOption, modelOptionNames } from "../modelOption.js";
import { pickOptions } from "../options.js";
import { readStdin } from "../stdin.js";

export const embedCommand = defineCommand({
  name: "embed",
  arguments: "[text...]",
  description: `Prints one embedding per text: each argument is one text, or, without arguments, each
non-empty line of standard input. Vectors are L2-normalized (a dot product is the cosine
similarity), one JSON array per line.`,
  options: {
    ...pickOptions(...modelOptionNames, "threads"),
    "context-size": {
      type: "string",
      short: "c",
      value: "<n>",
      help: "tokens of the embedding context; the longest text is one less\n(default: model's, at most 4096)",
    },
    json: { type: "boolean", help: "one JSON object: model, dimensions, and per text its index,\ntoken count and embedding" },
  },
  async run(values, positionals) {
    const texts = positionals.length > 0 ? positionals : (await readStdin()).split(/\r?\n/).filter((line) => line.trim() !== "");
    if (texts.length === 0 || texts.every((text) => text === "")) throw new UsageError('embed needs some text: mullama embed "some text", or lines on stdin', "embed");
    const threads = integerFlag("threads", values.threads);
    const requestedContextSize = integerFlag("context-size", values["context-size"]);
    const loaded = await loadModelOption(values);
    await using model = loaded.model;
    const contextSize = cappedContextSize(requestedContextSize, model.metadata.trainContextSize);
    await using context = await EmbeddingContext.create(model, { ...(contextSize === undefined ? {} : { contextSize }), ...(threads === undefined ? {} : { threads }) });
    const vectors = await context.embed(texts);
    if (values.json) {
      const embeddings = vectors.map((embedding, index) => ({ index, tokens: context.countTokens(texts[index]!), embedding }));
      process.stdout.write(`${JSON.stringify({ model: loaded.name, dimensions: context.dimensions, embeddings })}\n`);
    } else {
      process.stdout.write(vectors.map((vector) => JSON.stringify(vector)).join("\n") + "\n");
    }
    return 0;
  },
});
