import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";

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
