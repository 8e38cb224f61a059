/**
 * How a failed command ends: one line on stderr that says what went wrong (and, for a
 * usage mistake, where the help is), and an exit code: 2 for usage errors, 1 for the
 * rest. Stack traces are for bugs, and only on request (MULLAMA_DEBUG=1).
 */
import { InvalidArgumentError, MullamaError } from "../errors.js";
import { CommandFailure, UsageError } from "./command.js";

/** Exit code of a usage error (a bad flag or argument), as shells and argument parsers use it. */
export const usageExitCode = 2;

/** Writes the error's line to stderr and returns the exit code. `command` is the command that was running, for the pointer to its help. */
export function reportFailure(error: unknown, command?: string): number {
  const { line, code } = describeFailure(error, command);
  process.stderr.write(`mullama: ${line}\n`);
  if (process.env.MULLAMA_DEBUG && error instanceof Error) process.stderr.write(`${debugTrace(error)}\n`);
  return code;
}

export function describeFailure(error: unknown, command?: string): { line: string; code: number } {
  if (error instanceof UsageError) return { line: withHelpPointer(error.message, error.command ?? command), code: usageExitCode };
  // A flag's value that does not parse is a usage error too: the library names the flag ("--max-tokens").
  if (error instanceof InvalidArgumentError && error.argument.startsWith("-")) return { line: withHelpPointer(error.message, command), code: usageExitCode };
  if (error instanceof MullamaError || error instanceof CommandFailure) return { line: error.message, code: 1 };
  // Errors from the system (a file that cannot be read or written) say what and where in their message.
  if (error instanceof Error && typeof (error as NodeJS.ErrnoException).syscall === "string") return { line: error.message, code: 1 };
  const message = error instanceof Error ? error.message : String(error);
  return { line: `unexpected error: ${message} (this is a bug; MULLAMA_DEBUG=1 shows where it happened)`, code: 1 };
}

function withHelpPointer(message: string, command: string | undefined): string {
  return command === undefined ? message : `${message}; see mullama ${command} --help`;
}

/** The stack and the chain of causes, for MULLAMA_DEBUG. */
function debugTrace(error: Error): string {
  const parts = [error.stack ?? String(error)];
  let cause = error.cause;
  while (cause !== undefined) {
    parts.push(`caused by: ${cause instanceof Error ? (cause.stack ?? cause.message) : String(cause)}`);
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  return parts.join("\n");
}
