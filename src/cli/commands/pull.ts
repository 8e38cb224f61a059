/** `mullama pull <reference>`: download a model into the store, with a progress bar or JSON lines. */
import { parseArgs } from "node:util";
import { AbortedError } from "../../errors.js";
import { pullModel } from "../../pull/pullModel.js";
import { ModelStore } from "../../store/ModelStore.js";
import { integerFlag } from "../flags.js";
import { formatBytes, formatCount } from "../format.js";
import { pullReporter, pullReportMode } from "../pullReporter.js";

export const pullUsage = `Usage: mullama pull <reference> [options]

Downloads a model into the model store, verified and resumable; an interrupted pull
continues where it stopped when run again. A model already there and unchanged is not
downloaded again. See docs/MODELS.md.

References:
  hf:<user>/<repo>:<quant>        the repository's file of that quantization (Q4_K_M, Q8_0, ...)
  hf:<user>/<repo>                its Q4_K_M file, else the nearest it has (the pull says which)
  hf:<user>/<repo>/<file>.gguf    one file (a split set's part pulls the whole set)
  hf.co/<user>/<repo>:<quant>     the same, as Ollama writes it
  https://<host>/<path>.gguf      any server

Environment: MULLAMA_MODELS (the store; default ~/.cache/mullama/models), HF_ENDPOINT
(default https://huggingface.co), HF_TOKEN (sent to HF_ENDPOINT only, for private and
gated repositories).

Options:
      --json                progress as JSON lines on stdout, one event per line
      --retries <n>         tries after a dropped connection, each resuming (default: 3)
      --no-probe            keep the model without test-loading it in a separate process first
                            (default: probe; a file that would crash the engine is refused)
  -q, --quiet               no progress bar (there is none when stderr is not a terminal)
`;

export async function pullCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      json: { type: "boolean" },
      retries: { type: "string" },
      "no-probe": { type: "boolean" },
      quiet: { type: "boolean", short: "q" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(pullUsage);
    return 0;
  }
  if (positionals.length !== 1) {
    process.stderr.write(`mullama: pull takes one reference\n\n${pullUsage}`);
    return 2;
  }
  const retries = integerFlag("retries", values.retries, { min: 0, max: 100 });
  const reporter = pullReporter(pullReportMode(values));
  const abort = new AbortController();
  const onInterrupt = () => abort.abort();
  process.once("SIGINT", onInterrupt);
  try {
    const model = await pullModel(positionals[0]!, { onProgress: reporter.onProgress, signal: abort.signal, store: new ModelStore(), probe: !values["no-probe"], ...(retries === undefined ? {} : { retries }) });
    reporter.finish();
    if (!values.json) {
      const facts = [formatBytes(model.sizeBytes), model.quantization, `${formatCount(model.parameterCount)} parameters`].filter(Boolean).join(", ");
      process.stdout.write(`pulled ${model.name} (${facts})\n`);
    }
    return 0;
  } catch (error) {
    reporter.finish();
    if (!(error instanceof AbortedError)) throw error;
    process.stderr.write("mullama: pull interrupted; run the same command again to resume\n");
    return 130;
  } finally {
    process.off("SIGINT", onInterrupt);
  }
}
