/** The CLI's help and usage errors, without running a command: every help has one option per line; parse failures read as sentences. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { commandHelp, describeParseFailure, parseCommandLine, UsageError } from "../../src/cli/command.ts";
import { commands } from "../../src/cli/commandIndex.ts";
import { describeFailure } from "../../src/cli/failure.ts";
import { integerFlag, numberFlag } from "../../src/cli/flags.ts";
import { listenFailure } from "../../src/cli/listenFailure.ts";
import { cappedContextSize } from "../../src/cli/modelOption.ts";
import { cliOptions } from "../../src/cli/options.ts";
import { promptProgress } from "../../src/cli/promptProgress.ts";
import { progressBar, StatusLine } from "../../src/cli/statusLine.ts";
import { ContextOverflowError, InvalidArgumentError } from "../../src/errors.ts";

test("every command's help: its usage line, and each option on a line of its own, aligned", async () => {
  for (const [name, entry] of Object.entries(commands)) {
    const spec = await entry.load();
    assert.equal(spec.name, name);
    const help = commandHelp(spec);
    assert.equal(help.match(/^Usage: /gm)?.length, 1, `${name}: one usage line`);
    assert.ok(help.startsWith(`Usage: mullama ${name}`), name);
    const optionLines = help.split("\n").filter((line) => /^ {2}(-\w, | {4})--/.test(line));
    // Every option plus --help, each on its own line, and no line naming two options.
    assert.equal(optionLines.length, Object.keys(spec.options).length + 1, `${name}: ${help}`);
    for (const line of optionLines) assert.equal(line.match(/(^|\s)--[a-z]/g)?.length, 1, `${name}: "${line}"`);
    const columns = new Set(optionLines.map((line) => /^ {2}(-\w, | {4})--\S+( <[^>]+>)? +/.exec(line)?.[0].length));
    assert.equal(columns.size, 1, `${name}: descriptions start at one column`);
  }
});

test("a shared flag reads the same in every command that takes it", async () => {
  for (const entry of Object.values(commands)) {
    const spec = await entry.load();
    if (spec.options.temperature !== undefined) assert.equal(spec.options.temperature, cliOptions.temperature);
    // serve takes several; the words are the same.
    if (spec.options.model !== undefined) assert.ok(spec.options.model.help.startsWith(cliOptions.model.help), spec.name);
  }
});

test("parse failures say what was wrong, with balanced quotes", () => {
  const options = { ...cliOptions, help: { type: "boolean", short: "h", help: "" } } as const;
  assert.equal(describeParseFailure("run", options, ["x", "--colour", "red"], true), "Unknown option '--colour'");
  assert.equal(describeParseFailure("run", options, ["--temprature", "1"], true), "Unknown option '--temprature' (did you mean --temperature?)");
  assert.equal(describeParseFailure("run", options, ["-x"], true), "Unknown option '-x'");
  assert.equal(describeParseFailure("run", options, ["-t"], true), "--temperature needs a value (--temperature <x>)");
  assert.equal(describeParseFailure("run", options, ["--temperature", "-1"], true), "--temperature needs a value; for one that starts with a dash, write --temperature=-1");
  assert.equal(describeParseFailure("run", options, ["--gpu=yes"], true), '--gpu takes no value (got "yes")');
  assert.equal(describeParseFailure("serve", options, ["extra"], false), 'serve takes no arguments, only options (got "extra")');
});

test("parseCommandLine throws a UsageError naming the command; --temperature=-1 is a value", async () => {
  const run = await commands.run!.load();
  assert.throws(() => parseCommandLine(run, ["--colour"]), (error: unknown) => error instanceof UsageError && error.command === "run");
  const parsed = parseCommandLine(run, ["--temperature=-1", "hello", "-n", "5"])!;
  assert.deepEqual({ ...parsed.values }, { temperature: "-1", "max-tokens": "5" });
  assert.deepEqual(parsed.positionals, ["hello"]);
});

test("failures: usage errors exit 2 with a pointer to the help, others 1; bugs say so", () => {
  assert.deepEqual(describeFailure(new UsageError("Unknown option '--x'", "run")), { line: "Unknown option '--x'; see mullama run --help", code: 2 });
  const badFlag = (() => {
    try {
      integerFlag("max-tokens", "-5");
    } catch (error) {
      return error;
    }
  })();
  assert.deepEqual(describeFailure(badFlag, "run"), { line: 'Invalid --max-tokens: expected an integer of at least 1, got "-5"; see mullama run --help', code: 2 });
  assert.equal(describeFailure(new InvalidArgumentError("options.temperature", "bad")).code, 1, "a library argument is not a flag");
  const overflow = new ContextOverflowError(300, 200, 256);
  assert.deepEqual(describeFailure(overflow), { line: overflow.message, code: 1 });
  const system = Object.assign(new Error("ENOENT: no such file or directory, open 'chat.json'"), { code: "ENOENT", syscall: "open" });
  assert.deepEqual(describeFailure(system), { line: "ENOENT: no such file or directory, open 'chat.json'", code: 1 });
  assert.match(describeFailure(new TypeError("x is undefined")).line, /^unexpected error: x is undefined \(this is a bug; MULLAMA_DEBUG=1/);
});

test("flag values: ranges read as words", () => {
  assert.throws(() => integerFlag("port", "70000", { min: 0, max: 65_535 }), /expected an integer from 0 to 65535, got "70000"/);
  assert.throws(() => numberFlag("temperature", "warm", { min: 0 }), /expected a number of at least 0, got "warm"/);
  assert.throws(() => numberFlag("repeat-penalty", "0", { min: Number.MIN_VALUE }), /expected a number greater than 0, got "0"/);
  assert.equal(numberFlag("x", "-2.5"), -2.5);
});

test("bind failures: what happened and what to do", () => {
  const failure = (code: string) => listenFailure(Object.assign(new Error(code), { code }), "192.0.2.1", 8080);
  assert.match(failure("EADDRINUSE")!, /^cannot listen on 192\.0\.2\.1:8080: the port is in use \(choose another with --port/);
  assert.match(failure("EADDRNOTAVAIL")!, /no network interface of this machine has that address/);
  assert.match(failure("EACCES")!, /permission denied/);
  assert.match(failure("ENOTFOUND")!, /does not resolve/);
  assert.equal(failure("EPERM"), undefined);
  assert.match(listenFailure(Object.assign(new Error(), { code: "EADDRINUSE" }), "::1", 80)!, /\[::1\]:80/);
});

test("a context larger than the model was trained on is capped, with one warning line", () => {
  const warnings: string[] = [];
  assert.equal(cappedContextSize(100_000, 256, (line) => warnings.push(line)), 256);
  assert.deepEqual(warnings, ["mullama: --context-size 100000 is more than the model was trained on; using its 256 tokens"]);
  assert.equal(cappedContextSize(128, 256, (line) => warnings.push(line)), 128);
  assert.equal(cappedContextSize(undefined, 256, (line) => warnings.push(line)), undefined);
  assert.equal(cappedContextSize(5000, undefined, (line) => warnings.push(line)), 5000, "unknown training context: as given");
  assert.equal(warnings.length, 1);
});

test("a status line draws in place on a terminal, and writes nothing elsewhere", () => {
  const written: string[] = [];
  const terminal = new StatusLine({ isTTY: true, columns: 40, write: (text: string) => written.push(text) });
  terminal.draw(`loading model  ${progressBar(0.5, 10)}`);
  terminal.print("a line that stays");
  terminal.draw("x".repeat(100));
  terminal.clear();
  terminal.clear();
  assert.deepEqual(written, ["\r\x1b[2Kloading model  [#####-----]  50%", "\r\x1b[2Ka line that stays\n", `\r\x1b[2K${"x".repeat(39)}`, "\r\x1b[2K"]);
  const piped: string[] = [];
  const elsewhere = new StatusLine({ isTTY: false, write: (text: string) => piped.push(text) });
  elsewhere.draw("loading");
  elsewhere.print("step");
  elsewhere.end();
  assert.deepEqual(piped, []);
  assert.equal(progressBar(1.7, 4), "[####] 100%");
  assert.equal(progressBar(0, 4), "[----]   0%");
});

test("prompt progress draws a bar while the prompt is evaluated and clears it before the answer; nothing when piped", () => {
  const written: string[] = [];
  const progress = promptProgress(new StatusLine({ isTTY: true, columns: 80, write: (text: string) => written.push(text) }));
  progress.onPromptProgress(512, 2048);
  progress.onPromptProgress(2048, 2048);
  progress.clear();
  assert.deepEqual(written, [`\r\x1b[2Kprompt  ${progressBar(0.25, 30)}  512/2048 tokens`, "\r\x1b[2K"]);
  const piped: string[] = [];
  const quiet = promptProgress(new StatusLine({ isTTY: false, write: (text: string) => piped.push(text) }));
  quiet.onPromptProgress(512, 2048);
  quiet.clear();
  assert.deepEqual(piped, []);
});
