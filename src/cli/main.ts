#!/usr/bin/env node
/** The `mullama` command: finds the command, parses its flags, runs it, and turns what goes wrong into one line and an exit code. */
import { commandHelp, parseCommandLine } from "./command.js";
import { commands, overview } from "./commandIndex.js";
import { reportFailure } from "./failure.js";

/** The command being run, for the pointer to its help in an error line. */
let running: string | undefined;

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    process.stderr.write(overview);
    return 2;
  }
  if (name === "--help" || name === "-h" || (name === "help" && rest.length === 0)) {
    process.stdout.write(overview);
    return 0;
  }
  if (name === "--version" || name === "-v" || name === "version") {
    const { serverVersion } = await import("../server/version.js");
    process.stdout.write(`mullama ${serverVersion}\n`);
    return 0;
  }
  if (name === "help") {
    const entry = commands[rest[0]!];
    if (entry === undefined) return unknownCommand(rest[0]!);
    process.stdout.write(commandHelp(await entry.load()));
    return 0;
  }
  const entry = commands[name];
  if (entry === undefined) return unknownCommand(name);
  running = name;
  const command = await entry.load();
  const parsed = parseCommandLine(command, rest);
  if (parsed === undefined) return 0;
  return command.run(parsed.values, parsed.positionals);
}

function unknownCommand(name: string): number {
  process.stderr.write(`mullama: unknown command "${name}"; "mullama --help" lists the commands\n`);
  return 2;
}

// A reader that goes away (`mullama run ... | head -1`) is a normal end, not a crash.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw error;
});

// A failure outside the command's own promise (an event handler, say) is still one line, and ends the process.
process.on("uncaughtException", (error) => process.exit(reportFailure(error, running)));

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.exitCode = reportFailure(error, running);
  },
);
