/** The commands of `mullama`, each loaded only when it runs, and the overview that lists them. */
import type { CommandSpec } from "./command.js";

/** Each command: its line in the overview and its module, loaded only when it runs. */
export const commands: Record<string, { summary: string; load: () => Promise<CommandSpec> }> = {
  run: { summary: "run [prompt]      stream a completion of a prompt to the terminal", load: async () => (await import("./commands/run.js")).runCommand },
  chat: { summary: "chat [model]      a conversation with a model, in the terminal or from a pipe", load: async () => (await import("./commands/chat.js")).chatCommand },
  serve: { summary: "serve             start the HTTP server (chat page, OpenAI, Ollama, SSE, WebSocket)", load: async () => (await import("./commands/serve.js")).serveCommand },
  ps: { summary: "ps                the models a running server has loaded", load: async () => (await import("./commands/ps.js")).psCommand },
  pull: { summary: "pull <reference>  download a model into the store (hf:<user>/<repo>:<quant>, https://...)", load: async () => (await import("./commands/pull.js")).pullCommand },
  list: { summary: "list              the models in the store", load: async () => (await import("./commands/list.js")).listCommand },
  show: { summary: "show <model>      a model's architecture, parameters, quantization, context, license", load: async () => (await import("./commands/show.js")).showCommand },
  rm: { summary: "rm <name>         remove a model from the store", load: async () => (await import("./commands/rm.js")).rmCommand },
  embed: { summary: "embed [text...]   embedding vectors of texts", load: async () => (await import("./commands/embed.js")).embedCommand },
  engine: { summary: "engine [action]   the llama.cpp binary in use; build one for this machine", load: async () => (await import("./commands/engine.js")).engineCommand },
  bench: { summary: "bench             how fast a model reads a prompt and writes tokens here", load: async () => (await import("./commands/bench.js")).benchCommand },
};

export const overview = `Usage: mullama <command> [options]

Commands:
${Object.values(commands)
  .map(({ summary }) => `  ${summary}`)
  .join("\n")}

Models: a GGUF file, a name from "mullama list", or a reference such as
hf:<user>/<repo>:<quant> (pulled by "mullama pull"). Without one, the bundled demo model.

"mullama help <command>" or "mullama <command> --help" shows a command's options;
"mullama --version" the version.
`;
