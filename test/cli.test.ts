import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer as createNetServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { commands } from "../src/cli/commandIndex.ts";
import { makeScriptedModel } from "./fixtures/scriptedModel.ts";

/** Runs the CLI from source, as `mullama <args>` would run from dist/. */
function mullama(args: string[], input?: string) {
  const result = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
    encoding: "utf8",
    input,
    timeout: 60_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

test("run streams the demo model's greedy continuation and reports statistics", () => {
  const { code, stdout, stderr } = mullama(["run", "In the beginning God created", "--temperature", "0", "--threads", "1"]);
  assert.equal(code, 0, stderr);
  assert.equal(stdout, ", and I will not hearken unto the LORD.\n");
  assert.match(stderr, /tokens\/s.*stop: eos/);
});

test("run reads the prompt from stdin, honours --max-tokens and --stop, and --quiet", () => {
  const { code, stdout, stderr } = mullama(["run", "-t", "0", "-n", "30", "--stop", "Babylon", "--quiet", "--threads", "1"], "And God said\n");
  assert.equal(code, 0, stderr);
  assert.equal(stdout, " unto him, I will not go up to the king of \n");
  assert.equal(stderr, "");
});

test("bad flags and values fail with a clear message and a non-zero code", () => {
  const unknown = mullama(["run", "x", "--colour", "red"]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /Unknown option '--colour'/);
  const negative = mullama(["run", "x", "--max-tokens=-5"]);
  assert.equal(negative.code, 2);
  assert.match(negative.stderr, /Invalid --max-tokens: expected an integer/);
  const notNumber = mullama(["run", "x", "--temperature", "warm"]);
  assert.match(notNumber.stderr, /Invalid --temperature/);
  const missing = mullama(["run", "x", "--model", "/nope/model.gguf"]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /Cannot load model "\/nope\/model.gguf"/);
  const command = mullama(["fly"]);
  assert.equal(command.code, 2);
  assert.match(command.stderr, /unknown command "fly"/);
});

test("a prompt too long for the context is a clear error, not a crash", () => {
  const { code, stderr } = mullama(["run", "And God said ".repeat(100), "--threads", "1"]);
  assert.equal(code, 1);
  assert.match(stderr, /exceeds the context size \(256 tokens\)/);
});

test("help: `mullama help <command>` and `<command> --help` print that command's help once; --version", () => {
  const viaHelp = mullama(["help", "serve"]);
  assert.equal(viaHelp.code, 0);
  assert.match(viaHelp.stdout, /^Usage: mullama serve \[options\]\n/);
  assert.equal(viaHelp.stdout.match(/Usage:/g)?.length, 1);
  assert.equal(mullama(["serve", "--help"]).stdout, viaHelp.stdout);
  const overview = mullama(["--help"]);
  assert.equal(overview.code, 0);
  assert.equal(overview.stdout.match(/Usage:/g)?.length, 1, "one help, not the overview and run's");
  for (const command of Object.keys(commands)) assert.match(overview.stdout, new RegExp(`^  ${command} `, "m"));
  const version = mullama(["--version"]);
  assert.equal(version.stdout, `mullama ${(JSON.parse(readFileSync("package.json", "utf8")) as { version: string }).version}\n`);
  const unknownHelp = mullama(["help", "fly"]);
  assert.equal(unknownHelp.code, 2);
});

test("usage errors: one line, balanced quotes, a pointer to the help, exit code 2", () => {
  const unknown = mullama(["run", "x", "--colour", "red"]);
  assert.equal(unknown.code, 2);
  assert.equal(unknown.stderr, "mullama: Unknown option '--colour'; see mullama run --help\n");
  const missingValue = mullama(["serve", "--port"]);
  assert.equal(missingValue.code, 2);
  assert.equal(missingValue.stderr, "mullama: --port needs a value (--port <n>); see mullama serve --help\n");
});

test("--context-size past the model's training context is capped with a warning", () => {
  const { code, stdout, stderr } = mullama(["run", "And God said", "-c", "100000", "-n", "3", "-t", "0", "--threads", "1"]);
  assert.equal(code, 0, stderr);
  assert.match(stderr, /^mullama: --context-size 100000 is more than the model was trained on; using its 256 tokens\n/);
  assert.equal(stdout, " unto him,\n");
});

test("serve: a port in use, an address not on this machine, a file that is no model: one line each, exit 1, nothing logged as listening", async () => {
  const blocker = createNetServer();
  await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
  try {
    const port = (blocker.address() as AddressInfo).port;
    const inUse = mullama(["serve", "--port", String(port)]);
    assert.equal(inUse.code, 1);
    assert.equal(inUse.stderr, `mullama: cannot listen on 127.0.0.1:${port}: the port is in use (choose another with --port, or stop what uses it)\n`);
  } finally {
    blocker.close();
  }
  // 192.0.2.0/24 is reserved for documentation: no machine has it.
  const notHere = mullama(["serve", "--host", "192.0.2.1", "--port", "0"]);
  assert.equal(notHere.code, 1);
  assert.match(notHere.stderr, /^mullama: cannot listen on 192\.0\.2\.1:0: no network interface of this machine has that address \(use 127\.0\.0\.1, .*--host\)\n$/);
  const directory = mkdtempSync(join(tmpdir(), "mullama-cli-"));
  const notModel = join(directory, "notes.gguf");
  writeFileSync(notModel, "these are notes, not weights\n");
  const badModel = mullama(["serve", "--model", notModel, "--port", "0"]);
  assert.equal(badModel.code, 1);
  assert.equal(badModel.stderr, `mullama: Cannot load model "${notModel}": not a GGUF file (bad magic 0x74686573, expected "GGUF")\n`);
  assert.doesNotMatch(badModel.stdout, /listening|ready/i);
});

test("bench --json: prompt and generation speeds, the threads used, the runs", () => {
  const { code, stdout, stderr } = mullama(["bench", "--json", "--threads", "1", "-p", "32", "-n", "16", "-r", "2"]);
  assert.equal(code, 0, stderr);
  const report = JSON.parse(stdout) as {
    contextSize: number;
    threads: { setting: number; prompt: number; generation: number };
    promptTokensPerRun: number;
    runs: number;
    prompt: { tokens: number; tokensPerSecond: number };
    generation: { tokens: number; tokensPerSecond: number };
  };
  assert.equal(report.contextSize, 256);
  assert.deepEqual({ ...report.threads, logicalCores: undefined }, { setting: 1, prompt: 1, generation: 1, logicalCores: undefined });
  assert.equal(report.promptTokensPerRun, 32);
  assert.ok(report.runs >= 2 && report.runs <= 6, `runs: ${report.runs}`);
  // Each run's prompt starts differently: at most the BOS is reused from the run before.
  assert.ok(report.prompt.tokens >= 31 * report.runs, `prompt tokens: ${report.prompt.tokens}`);
  assert.ok(report.prompt.tokensPerSecond > 0 && report.generation.tokensPerSecond > 0);
  assert.ok(report.generation.tokens >= 16, "at least half of 2 x 16 tokens measured");
});

test("run --json prints the text and the result as one object; a reader that leaves early (EPIPE) is no error", () => {
  const { code, stdout, stderr } = mullama(["run", "And God said", "--json", "-t", "0", "-n", "5", "--threads", "1"]);
  assert.equal(code, 0, stderr);
  const result = JSON.parse(stdout) as { text: string; stopReason: string; tokenCount: number; promptTokens: number };
  assert.deepEqual([result.text, result.stopReason, result.tokenCount, result.promptTokens], [" unto him, I will", "maxTokens", 5, 4]);
  assert.equal(stderr, "");
  // 40 vectors are about 160 kB: more than a pipe holds, so writes go on after head has left.
  const words = Array.from({ length: 40 }, (_, index) => `word${index}`).join(" ");
  const piped = spawnSync("bash", ["-c", `set -o pipefail; node --import tsx src/cli/main.ts embed --threads 1 ${words} | head -c 2`], { encoding: "utf8", timeout: 60_000 });
  assert.equal(piped.stdout, "[-");
  assert.equal(piped.stderr, "");
  assert.equal(piped.status, 0);
});

test("chat from a pipe: a message per line (a backslash goes on), commands, one answer per line; --json; the same store names as run", () => {
  const directory = mkdtempSync(join(tmpdir(), "mullama-chat-"));
  const file = join(directory, "chat.json");
  const input = `And God said\n\n/system Speak plainly.\nIn the \\\nbeginning\n/save ${file}\n`;
  const { code, stdout, stderr } = mullama(["chat", "--threads", "1", "-t", "0"], input);
  assert.equal(code, 0, stderr);
  assert.equal(stdout, `for I have done this day.\n(the system prompt is set)\nand I have not heard the word of the LORD, and I have not heard it.\n(saved 4 messages to ${file})\n`);
  const saved = JSON.parse(readFileSync(file, "utf8")) as { messages: { role: string; content: string }[] };
  assert.deepEqual(saved.messages.map((message) => message.role), ["system", "user", "assistant", "user", "assistant"]);
  assert.equal(saved.messages[3]!.content, "In the \nbeginning");

  const json = mullama(["chat", "kjv-tiny-q8_0.gguf", "--json", "--threads", "1", "-t", "0", "-n", "3"], "And God said\n");
  assert.equal(json.code, 1, "a positional model is a model like -m: this one is not in the store");
  assert.match(json.stderr, /^mullama: Cannot load model "kjv-tiny-q8_0\.gguf": file not found, and no model of that name in the store/);
  const answers = mullama(["chat", "models/kjv-tiny-q8_0.gguf", "--json", "--threads", "1", "-t", "0", "-n", "3"], "And God said\nIn the beginning\n");
  assert.equal(answers.code, 0, answers.stderr);
  const lines = answers.stdout.trimEnd().split("\n").map((line) => JSON.parse(line) as { role: string; content: string; stopReason: string; tokenCount: number; promptTokens: number });
  assert.equal(lines.length, 2, "one line per answer");
  assert.deepEqual({ ...lines[0], tokensPerSecond: undefined }, { role: "assistant", content: "for I have", stopReason: "maxTokens", tokenCount: 3, promptTokens: 16, tokensPerSecond: undefined });
  assert.ok(lines[1]!.promptTokens > 16, "the second answer's prompt holds the first exchange");

  const tooLong = mullama(["chat", "--threads", "1"], `${"And God said ".repeat(100)}\n`);
  assert.equal(tooLong.code, 1);
  assert.match(tooLong.stderr, /^mullama: The message \(\d+ tokens with the system prompt\) leaves no room for an answer of 64 tokens in the context of 256: write less, or start with a larger --context-size\n$/);
});

test("chat renders the conversation with the model's own chat template", async () => {
  const template = "{% for message in messages %}<{{ message['role'] }}>{{ message['content'] }}</{{ message['role'] }}>\n{% endfor %}{% if add_generation_prompt %}<assistant>{% endif %}";
  const path = await makeScriptedModel({ pieces: ["Hi", " there"], fileName: "chat-template", chatTemplate: template });
  const { code, stdout, stderr } = mullama(["chat", "-m", path, "--system", "Be brief.", "--json", "--threads", "1", "-t", "0"], "Hello\n/stats\n");
  assert.equal(code, 0, stderr);
  const [answer, stats] = stdout.split("\n", 2);
  const parsed = JSON.parse(answer!) as { content: string; promptTokens: number };
  assert.equal(parsed.content, "Hi there");
  // One token per byte of "<system>Be brief.</system>\n<user>Hello</user>\n<assistant>" (the template adds no BOS).
  assert.equal(parsed.promptTokens, new TextEncoder().encode("<system>Be brief.</system>\n<user>Hello</user>\n<assistant>").length);
  assert.match(stats!, /^conversation {3}2 messages, \d+ of \d+ tokens of context \(the model's chat template\)$/);
});
