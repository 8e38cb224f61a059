/** `mullama run [prompt]`: stream a generation to the terminal. */
import { parseArgs } from "node:util";
import { Context } from "../../context/Context.js";
import { Model } from "../../model/Model.js";
import { definedOnly, integerFlag, numberFlag } from "../flags.js";
import { modelOptionHelp, modelOptions, resolveModelOption } from "../modelOption.js";
import { readStdin } from "../stdin.js";

export const runUsage = `Usage: mullama run [prompt] [options]

Streams a completion of the prompt to standard output (the prompt may also come on stdin).

Options:
${modelOptionHelp(28)}
  -n, --max-tokens <n>      most tokens to generate (default: 200)
  -t, --temperature <x>     sampling temperature, 0 for greedy (default: 0.8)
      --top-k <n>           (default: 40)      --top-p <x>  (default: 0.95)
      --min-p <x>           (default: 0.05)    --repeat-penalty <x> (default: 1)
  -s, --seed <n>            sampling seed, for reproducible output (default: random)
      --stop <text>         stop string, repeatable
      --threads <n>         fixed CPU threads (default: adaptive, per decode)
  -c, --context-size <n>    context size in tokens (default: model's, at most 4096)
      --gpu                 offload to a GPU when one is available (default: CPU only)
  -q, --quiet               do not print statistics to stderr
`;

export async function runCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      ...modelOptions,
      "max-tokens": { type: "string", short: "n" },
      temperature: { type: "string", short: "t" },
      "top-k": { type: "string" },
      "top-p": { type: "string" },
      "min-p": { type: "string" },
      "repeat-penalty": { type: "string" },
      seed: { type: "string", short: "s" },
      stop: { type: "string", multiple: true },
      threads: { type: "string" },
      "context-size": { type: "string", short: "c" },
      gpu: { type: "boolean" },
      quiet: { type: "boolean", short: "q" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(runUsage);
    return 0;
  }
  const prompt = positionals.length > 0 ? positionals.join(" ") : (await readStdin()).trimEnd();
  const maxTokens = integerFlag("max-tokens", values["max-tokens"]) ?? 200;
  const options = {
    temperature: numberFlag("temperature", values.temperature, { min: 0 }),
    topK: integerFlag("top-k", values["top-k"], { min: 0 }),
    topP: numberFlag("top-p", values["top-p"], { min: 0, max: 1 }),
    minP: numberFlag("min-p", values["min-p"], { min: 0, max: 1 }),
    repeatPenalty: numberFlag("repeat-penalty", values["repeat-penalty"], { min: Number.MIN_VALUE }),
    seed: integerFlag("seed", values.seed, { min: 0, max: 0xffff_ffff }),
    stop: values.stop,
  };
  const threads = integerFlag("threads", values.threads);
  const contextSize = integerFlag("context-size", values["context-size"]);

  const { path } = await resolveModelOption(values.model, values.pull);
  await using model = await Model.load(path, { gpu: values.gpu ? "auto" : false, probe: values.probe ?? false });
  await using context = await Context.create(model, {
    ...(contextSize === undefined ? {} : { contextSize }),
    ...(threads === undefined ? {} : { threads }),
  });

  const abort = new AbortController();
  const onInterrupt = () => abort.abort();
  process.once("SIGINT", onInterrupt);
  try {
    const result = await context.generateStreaming(prompt, maxTokens, (text) => {
      process.stdout.write(text);
    }, { ...definedOnly(options), signal: abort.signal });
    process.stdout.write("\n");
    if (!values.quiet) {
      const { timings } = result;
      process.stderr.write(
        `[${result.tokenCount} tokens, ${timings.tokensPerSecond.toFixed(1)} tokens/s, first token ${timings.timeToFirstTokenMs.toFixed(0)} ms, stop: ${result.stopReason}]\n`,
      );
    }
    return result.stopReason === "abort" ? 130 : 0;
  } finally {
    process.off("SIGINT", onInterrupt);
  }
}
