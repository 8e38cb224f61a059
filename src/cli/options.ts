/**
 * Every flag of the CLI, defined once: its parser settings and its help. A command lists
 * the flags it takes (`pickOptions`); its help and its parser are both made from that
 * list, so the two cannot disagree, and a flag shared by several commands reads the same
 * in each.
 */
/** One flag: how it parses and how its help reads. */
export interface CliOption {
  readonly type: "string" | "boolean";
  /** A one-letter alias, without the dash. */
  readonly short?: string;
  /** Whether the flag may be given more than once (its value is then a list). */
  readonly multiple?: boolean;
  /** What the value is called in the help, for example `"<n>"`. */
  readonly value?: string;
  /** The help text: its first line follows the flag, later lines are indented under it. */
  readonly help: string;
}

/** The values parsed for a set of options: a string, a list of strings or a boolean, or undefined when not given. */
export type OptionValues<Options extends Record<string, CliOption>> = {
  [Name in keyof Options]?: Options[Name]["type"] extends "boolean" ? boolean : Options[Name]["multiple"] extends true ? string[] : string;
};

export const cliOptions = {
  model: {
    type: "string",
    short: "m",
    value: "<model>",
    help: 'a GGUF file, a store name ("mullama list") or a reference such\nas hf:<user>/<repo>:<quant> (default: the bundled demo model)',
  },
  pull: { type: "boolean", help: "pull the model first when it is a reference not in the store" },
  probe: { type: "boolean", help: "load the file in a child process first and refuse it if that\ncrashes (for files from outside; verdicts are cached)" },
  "max-tokens": { type: "string", short: "n", value: "<n>", help: "most tokens to generate (default: 200)" },
  temperature: { type: "string", short: "t", value: "<x>", help: "sampling temperature, 0 for greedy (default: 0.8)" },
  "top-k": { type: "string", value: "<n>", help: "sample among the n likeliest tokens, 0 for all (default: 40)" },
  "top-p": { type: "string", value: "<x>", help: "sample among the likeliest tokens whose sum is x (default: 0.95)" },
  "min-p": { type: "string", value: "<x>", help: "drop tokens below x times the likeliest one (default: 0.05)" },
  "repeat-penalty": { type: "string", value: "<x>", help: "penalty on tokens of the last 64, 1 for none (default: 1)" },
  seed: { type: "string", short: "s", value: "<n>", help: "sampling seed, for reproducible output (default: random)" },
  stop: { type: "string", multiple: true, value: "<text>", help: "stop string, repeatable" },
  threads: { type: "string", value: "<n>", help: "fixed CPU threads (default: adaptive, per decode)" },
  "context-size": {
    type: "string",
    short: "c",
    value: "<n>",
    help: "context size in tokens (default: model's, at most 4096; more than\nthe model was trained on is capped to that, with a warning)",
  },
  gpu: { type: "boolean", help: "offload to a GPU when one is available (default: CPU only)" },
  quiet: { type: "boolean", short: "q", help: "do not print statistics to stderr" },
  json: { type: "boolean", help: "print the result as JSON" },
} as const satisfies Record<string, CliOption>;

/** The generation flags `run` and `chat` share. */
export const generationOptionNames = ["max-tokens", "temperature", "top-k", "top-p", "min-p", "repeat-penalty", "seed", "stop"] as const;

/** The named shared options, for a command's option list. */
export function pickOptions<const Names extends readonly (keyof typeof cliOptions)[]>(...names: Names): { [Name in Names[number]]: (typeof cliOptions)[Name] } {
  return Object.fromEntries(names.map((name) => [name, cliOptions[name]])) as { [Name in Names[number]]: (typeof cliOptions)[Name] };
}

/** Help lines for options: one option per line, its description starting at one column for all, continuation lines under it. */
export function formatOptionHelp(options: Record<string, CliOption>): string {
  const heads = Object.entries(options).map(([name, option]) => {
    const short = option.short === undefined ? "    " : `-${option.short}, `;
    return `  ${short}--${name}${option.value === undefined ? "" : ` ${option.value}`}`;
  });
  const column = Math.max(...heads.map((head) => head.length)) + 2;
  return Object.values(options)
    .map((option, index) => {
      const [first, ...rest] = option.help.split("\n");
      return [`${heads[index]!.padEnd(column)}${first}`, ...rest.map((line) => `${" ".repeat(column)}${line}`)].join("\n");
    })
    .join("\n");
}
