/** `mullama pull <reference>`: download a model into the store, with a progress bar or JSON lines. */
import { AbortedError } from "../../errors.js";
import { pullModel } from "../../pull/pullModel.js";
import { ModelStore } from "../../store/ModelStore.js";
import { defineCommand, UsageError } from "../command.js";
import { integerFlag } from "../flags.js";
import { formatBytes, formatCount } from "../format.js";
import { pullReporter, pullReportMode } from "../pullReporter.js";

export const pullCommand = defineCommand({
  name: "pull",
  arguments: "<reference>",
  description: `Downloads a model into the model store, verified and resumable; an interrupted pull
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
gated repositories).`,
  options: {
    json: { type: "boolean", help: "progress as JSON lines on stdout, one event per line" },
    retries: { type: "string", value: "<n>", help: "tries after a dropped connection, each resuming (default: 3)" },
    "no-probe": { type: "boolean", help: "keep the model without test-loading it in a separate process first\n(default: probe; a file that would crash the engine is refused)" },
    quiet: { type: "boolean", short: "q", help: "no progress bar (there is none when stderr is not a terminal)" },
  },
  async run(values, positionals) {
    if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? "pull needs a reference, such as hf:<user>/<repo>:<quant>" : `pull takes one reference, not ${positionals.length}`, "pull");
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
  },
});
