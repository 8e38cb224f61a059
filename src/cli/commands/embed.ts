/** `mullama embed [text...]`: embedding vectors of texts, one per argument or per line of stdin. */
import { parseArgs } from "node:util";
import { EmbeddingContext } from "../../embedding/EmbeddingContext.js";
import { Model } from "../../model/Model.js";
import { definedOnly, integerFlag } from "../flags.js";
import { modelOptionHelp, modelOptions, resolveModelOption } from "../modelOption.js";
import { readStdin } from "../stdin.js";

export const embedUsage = `Usage: mullama embed [text...] [options]

Prints one embedding per text: each argument is one text, or, without arguments, each
non-empty line of standard input. Vectors are L2-normalized (a dot product is the cosine
similarity), one JSON array per line.

Options:
${modelOptionHelp(28)}
  -c, --context-size <n>    tokens of the embedding context; the longest text is one less
                            (default: model's, at most 4096)
      --threads <n>         CPU threads (default: every physical core, at most 16)
      --json                one JSON object: model, dimensions, and per text its index,
                            token count and embedding
      --gpu                 offload to a GPU when one is available (default: CPU only)
`;

export async function embedCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      ...modelOptions,
      "context-size": { type: "string", short: "c" },
      threads: { type: "string" },
      json: { type: "boolean" },
      gpu: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(embedUsage);
    return 0;
  }
  const texts = positionals.length > 0 ? positionals : (await readStdin()).split(/\r?\n/).filter((line) => line.trim() !== "");
  if (texts.length === 0) {
    process.stderr.write(`mullama: embed needs some text (arguments or lines on stdin)\n\n${embedUsage}`);
    return 2;
  }
  const params = definedOnly({ contextSize: integerFlag("context-size", values["context-size"]), threads: integerFlag("threads", values.threads) });
  const { path, name } = await resolveModelOption(values.model, values.pull);
  await using model = await Model.load(path, { gpu: values.gpu ? "auto" : false, probe: values.probe ?? false });
  await using context = await EmbeddingContext.create(model, params);
  const vectors = await context.embed(texts);
  if (values.json) {
    const embeddings = vectors.map((embedding, index) => ({ index, tokens: context.countTokens(texts[index]!), embedding }));
    process.stdout.write(`${JSON.stringify({ model: name ?? path, dimensions: context.dimensions, embeddings })}\n`);
  } else {
    process.stdout.write(vectors.map((vector) => JSON.stringify(vector)).join("\n") + "\n");
  }
  return 0;
}
