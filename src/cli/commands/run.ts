/** `mullama run [prompt]`: stream a completion of a prompt to the terminal. */
import { Context } from "../../context/Context.js";
import { defineCommand, UsageError } from "../command.js";
import { integerFlag } from "../flags.js";
import { generationSettingsFromFlags } from "../generationFlags.js";
import { cappedContextSize, loadModelOption, modelOptionNames } from "../modelOption.js";
import { generationOptionNames, pickOptions } from "../options.js";
import { promptProgress } from "../promptProgress.js";
import { readStdin } from "../stdin.js";

export const runCommand = defineCommand({
  name: "run",
  arguments: "[prompt]",
  description: `Streams a completion of the prompt to standard output: the model continues the text
(raw completion, no chat template; for a conversation use "mullama chat"). The prompt is
the arguments, or standard input when it is piped in. Ctrl-C stops the generation.`,
  options: {
    ...pickOptions(...modelOptionNames, ...generationOptionNames, "threads", "context-size", "quiet"),
    json: { type: "boolean", help: "print the text, why it stopped, token counts and timings as\none JSON object" },
  },
  async run(values, positionals) {
    let prompt = positionals.join(" ");
    if (positionals.length === 0) {
      // At a terminal nobody is piping a prompt in: waiting for one (or generating from nothing) would only puzzle.
      if (process.stdin.isTTY) throw new UsageError('run needs a prompt: mullama run "Once upon a time", or pipe one in; for a conversation, mullama chat', "run");
      prompt = (await readStdin()).trimEnd();
    }
    const settings = generationSettingsFromFlags(values);
    const threads = integerFlag("threads", values.threads);
    const requestedContextSize = integerFlag("context-size", values["context-size"]);

    const loaded = await loadModelOption(values);
    await using model = loaded.model;
    const contextSize = cappedContextSize(requestedContextSize, model.metadata.trainContextSize);
    await using context = await Context.create(model, {
      ...(contextSize === undefined ? {} : { contextSize }),
      ...(threads === undefined ? {} : { threads }),
    });

    const abort = new AbortController();
    const onInterrupt = () => abort.abort();
    process.once("SIGINT", onInterrupt);
    const progress = promptProgress();
    try {
      const { maxTokens = 200, ...options } = settings;
      const result = await context.generateStreaming(prompt, maxTokens, (text) => {
        if (!values.json) process.stdout.write(text);
      }, { ...options, signal: abort.signal, onPromptProgress: progress.onPromptProgress });
      if (values.json) {
        const { text, stopReason, stopString, tokenCount, promptTokens, seed, timings } = result;
        process.stdout.write(`${JSON.stringify({ text, stopReason, ...(stopString === undefined ? {} : { stopString }), tokenCount, promptTokens, seed, timings })}\n`);
      } else {
        process.stdout.write("\n");
      }
      if (!values.quiet && !values.json) {
        const { timings } = result;
        process.stderr.write(
          `[${result.tokenCount} tokens, ${timings.tokensPerSecond.toFixed(1)} tokens/s, first token ${timings.timeToFirstTokenMs.toFixed(0)} ms, stop: ${result.stopReason}]\n`,
        );
      }
      return result.stopReason === "abort" ? 130 : 0;
    } finally {
      progress.clear();
      process.off("SIGINT", onInterrupt);
    }
  },
});
