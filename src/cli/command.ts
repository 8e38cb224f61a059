/**
 * What a command is (its arguments, description, options and what it runs), how its help
 * is written, and how its command line is parsed. Parse failures become a
 * {@link UsageError} whose message says what was wrong in a person's words: the
 * parser's own messages name internals ("positional", "ambiguous") and lose quotes.
 */
import { parseArgs } from "node:util";
import { formatOptionHelp, type CliOption, type OptionValues } from "./options.js";

export interface CommandSpec<Options extends Record<string, CliOption> = Record<string, CliOption>> {
  /** The command's name, as typed after `mullama`. */
  readonly name: string;
  /** Its arguments as the help's first line shows them, for example `"[prompt]"`; empty when it takes none. */
  readonly arguments: string;
  /** What it does, a paragraph or two, for its help. */
  readonly description: string;
  readonly options: Options;
  /** Runs it; resolves to the exit code. */
  run(values: OptionValues<Options>, positionals: string[]): Promise<number>;
}

/** A mistake in how a command was called: printed as one line with a pointer to the command's help, exit code 2. */
export class UsageError extends Error {
  /** The command whose help explains what to do, when there is one. */
  readonly command: string | undefined;

  constructor(message: string, command?: string) {
    super(message);
    this.name = "UsageError";
    this.command = command;
  }
}

/** A command could not do its job for a reason outside the program (no server answers, a file cannot be read): one line, exit code 1. */
export class CommandFailure extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "CommandFailure";
  }
}

/** Every command takes `-h, --help`. */
const helpOption = { help: { type: "boolean", short: "h", help: "print this help" } } as const satisfies Record<string, CliOption>;

/** Keeps the option types of a command's definition (and checks `run` against them). */
export function defineCommand<const Options extends Record<string, CliOption>>(spec: CommandSpec<Options>): CommandSpec<Options> {
  return spec;
}

/** The command's help: usage line, description, one option per line. */
export function commandHelp(spec: CommandSpec): string {
  const synopsis = [`mullama ${spec.name}`, spec.arguments, "[options]"].filter((part) => part !== "").join(" ");
  return `Usage: ${synopsis}\n\n${spec.description.trimEnd()}\n\nOptions:\n${formatOptionHelp({ ...spec.options, ...helpOption })}\n`;
}

/**
 * Parses a command line: prints the help and resolves undefined for `--help`; throws
 * UsageError for anything it cannot take.
 */
export function parseCommandLine<Options extends Record<string, CliOption>>(spec: CommandSpec<Options>, argv: readonly string[]): { values: OptionValues<Options>; positionals: string[] } | undefined {
  const options: Record<string, CliOption> = { ...spec.options, ...helpOption };
  const parserOptions = Object.fromEntries(
    Object.entries(options).map(([name, option]) => [name, { type: option.type, ...(option.short === undefined ? {} : { short: option.short }), ...(option.multiple ? { multiple: true } : {}) }]),
  );
  const config = { args: [...argv], options: parserOptions, allowPositionals: spec.arguments !== "", strict: true };
  let parsed;
  try {
    parsed = parseArgs(config);
  } catch (error) {
    if (!String((error as { code?: unknown }).code).startsWith("ERR_PARSE_ARGS")) throw error;
    throw new UsageError(describeParseFailure(spec.name, options, argv, spec.arguments !== "") ?? (error as Error).message, spec.name);
  }
  if (parsed.values.help === true) {
    process.stdout.write(commandHelp(spec));
    return undefined;
  }
  return { values: parsed.values as OptionValues<Options>, positionals: parsed.positionals };
}

/** What was wrong with a command line the strict parser refused, found by parsing it leniently. */
export function describeParseFailure(command: string, options: Record<string, CliOption>, argv: readonly string[], allowPositionals: boolean): string | undefined {
  const { tokens } = parseArgs({ args: [...argv], options: {}, strict: false, allowPositionals: true, tokens: true });
  const shortNames = new Map(Object.entries(options).flatMap(([name, option]) => (option.short === undefined ? [] : [[option.short, name] as const])));
  for (const token of tokens) {
    if (token.kind === "positional" && !allowPositionals) return `${command} takes no arguments, only options (got "${token.value}")`;
    if (token.kind !== "option") continue;
    const name = token.rawName.startsWith("--") ? token.name : shortNames.get(token.name);
    const option = name === undefined ? undefined : options[name];
    if (name === undefined || option === undefined) {
      const suggestion = closestOption(token.name, Object.keys(options));
      return `Unknown option '${token.rawName}'${suggestion === undefined ? "" : ` (did you mean --${suggestion}?)`}`;
    }
    const flag = `--${name}`;
    if (option.type === "boolean" && token.inlineValue) return `${flag} takes no value (got "${token.value}")`;
    if (option.type === "string") {
      // Lenient parsing took whatever followed; the strict parser wants a value that does not look like an option.
      const next = argv[token.index + 1];
      if (!token.inlineValue && (next === undefined || next.startsWith("-"))) {
        return next === undefined ? `${flag} needs a value (${flag} ${option.value ?? "<value>"})` : `${flag} needs a value; for one that starts with a dash, write ${flag}=${next}`;
      }
    }
  }
  return undefined;
}

/** The known option nearest to an unknown one, when it is a likely typo (at most two edits away). */
function closestOption(unknown: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const name of known) {
    const distance = editDistance(unknown, name);
    if (distance < bestDistance) {
      best = name;
      bestDistance = distance;
    }
  }
  return best;
}

/** Levenshtein distance: insertions, deletions and substitutions. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length]!;
}
