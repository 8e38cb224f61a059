/** `mullama chat [model]`: a conversation with a model, at a terminal or from a pipe. */
import { Context } from "../../context/Context.js";
import { chatReplier } from "../chat/chatReply.js";
import { promptProgress } from "../promptProgress.js";
import { ChatSession } from "../chat/chatSession.js";
import { runPipedChat } from "../chat/pipedChat.js";
import { runTerminalChat } from "../chat/terminalChat.js";
import { defineCommand, UsageError } from "../command.js";
import { integerFlag } from "../flags.js";
import { generationSettingsFromFlags } from "../generationFlags.js";
import { cappedContextSize, loadModelOption, modelOptionNames } from "../modelOption.js";
import { generationOptionNames, pickOptions } from "../options.js";

export const chatCommand = defineCommand({
  name: "chat",
  arguments: "[model]",
  description: `A conversation with a model through its chat template (a model without one, like the
demo, gets a plain System:/User:/Assistant: transcript). [model] is the same as --model.

At a terminal: type a message and press Enter; end a line with a backslash (\\) to go on
on the next one (a paste stays one message). Arrow keys recall earlier lines. Ctrl-C stops
an answer and keeps the conversation; at an empty prompt, a second Ctrl-C or Ctrl-D leaves.
/help lists the commands: /clear, /system, /set, /save, /load, /stats, /exit.

From a pipe: each line of standard input is a message (the same backslash rule, lines
starting with "/" are commands) and each answer is printed followed by a newline:
  printf 'Hello\\nAnd then?\\n' | mullama chat -m <model>`,
  options: {
    ...pickOptions(...modelOptionNames),
    system: { type: "string", value: "<text>", help: "the system prompt (default: none)" },
    ...pickOptions(...generationOptionNames, "threads", "context-size"),
    "max-tokens": { type: "string", short: "n", value: "<n>", help: "most tokens per answer (default: the rest of the context)" },
    json: { type: "boolean", help: "from a pipe: each answer as one JSON object per line (content,\nstopReason, token counts, tokens/s)" },
  },
  async run(values, positionals) {
    if (positionals.length > 1) throw new UsageError(`chat takes one model, not ${positionals.length} (to send a message, pipe it in)`, "chat");
    if (positionals.length === 1 && values.model !== undefined) throw new UsageError("give the model once: mullama chat <model>, or --model <model>", "chat");
    const settings = generationSettingsFromFlags(values);
    const threads = integerFlag("threads", values.threads);
    const requestedContextSize = integerFlag("context-size", values["context-size"]);

    const loaded = await loadModelOption({ ...values, model: values.model ?? positionals[0] });
    await using model = loaded.model;
    const contextSize = cappedContextSize(requestedContextSize, model.metadata.trainContextSize);
    await using context = await Context.create(model, { ...(contextSize === undefined ? {} : { contextSize }), ...(threads === undefined ? {} : { threads }) });
    const session = new ChatSession(chatReplier(context, promptProgress()), context.contextSize, { system: values.system, settings });

    // Awaited here, so the context and the model outlive the chat (`await using` frees them on return).
    if (!process.stdin.isTTY) return await runPipedChat(session, { json: values.json === true });
    const format = session.replier.format === "transcript" ? "no chat template: a plain transcript" : "its chat template";
    process.stderr.write(`chatting with ${loaded.displayName} (${format}, ${context.contextSize} tokens of context); /help for commands, Ctrl-D to leave\n`);
    return await runTerminalChat(session);
  },
});
