#!/usr/bin/env node
/** The `mullama` command: dispatches to one file per command and prints errors plainly. */
import { InvalidArgumentError, MullamaError } from "../errors.js";
import { runCommand, runUsage } from "./commands/run.js";

const usage = `Usage: mullama <command> [options]

Commands:
  run [prompt]      stream a completion to the terminal (default model: the bundled demo)
  serve             start the HTTP server (OpenAI, Ollama, SSE and WebSocket APIs)
  pull <reference>  download a model into the store (hf:<user>/<repo>:<quant>, https://...)
  list              the models in the store
  show <model>      a model's architecture, parameters, quantization, context, license
  rm <name>         remove a model from the store
  embed [text...]   embedding vectors of texts

Run "mullama <command> --help" for a command's options.
`;

type Command = (argv: string[]) => Promise<number>;

const commands: Record<string, () => Promise<Command>> = {
  run: async () => runCommand,
  serve: async () => (await import("./commands/serve.js")).serveCommand,
  pull: async () => (await import("./commands/pull.js")).pullCommand,
  list: async () => (await import("./commands/list.js")).listCommand,
  show: async () => (await import("./commands/show.js")).showCommand,
  rm: async () => (await import("./commands/rm.js")).rmCommand,
  embed: async () => (await import("./commands/embed.js")).embedCommand,
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(usage + "\n" + runUsage);
    return name === undefined ? 1 : 0;
  }
  const load = commands[name];
  if (load === undefined) {
    process.stderr.write(`mullama: unknown command "${name}"\n\n${usage}`);
    return 2;
  }
  return (await load())(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof MullamaError) {
      process.stderr.write(`mullama: ${error.message}\n`);
      // Bad flags are usage errors, like the argument parser's own.
      process.exitCode = error instanceof InvalidArgumentError ? 2 : 1;
      return;
    } else if (error instanceof Error && "code" in error && String(error.code).startsWith("ERR_PARSE_ARGS")) {
      process.stderr.write(`mullama: ${error.message}\n`);
      process.exitCode = 2;
      return;
    } else {
      process.stderr.write(`mullama: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    }
    process.exitCode = 1;
  },
);
