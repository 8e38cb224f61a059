/**
 * Every code block of README.md and docs/guides/*.md runs, as a reader would run it, on
 * the demo model. Blocks are ```ts, ```js and ```sh; other languages (json, text) are not
 * code to run. HTML comments right before a block (invisible on GitHub) steer it:
 *
 *   <!-- not run: <why> -->   the block is skipped (it needs the network, installs
 *                             packages, or runs until stopped); the test lists it as skipped
 *   <!-- expect: /re/flags --> what the block prints on stdout must match
 *   <!-- run: server -->      the block is a server: it starts in the background, must print
 *                             its URL, and runs until the file's last block has run
 *   <!-- run: after the previous block -->
 *                             the block goes on from the one before it (a tour in pieces):
 *                             it runs after that block's code, in a scope of its own
 *
 * What the blocks say and what runs differ only by these substitutions:
 * - `from "mullama"` imports the sources (src/index.ts) in ts blocks, the build
 *   (dist/index.js: `npm run build`) in js blocks, which run on plain Node without tsx;
 * - `model.gguf` (and `./model.gguf`) is the demo model's path;
 * - `http://127.0.0.1:8080` is a server on the demo model that this test runs, as
 *   `mullama serve -m model.gguf` would (its model is named "model");
 * - `http://127.0.0.1:3000` is the URL a `run: server` block printed;
 * - in sh blocks `mullama` and `npx mullama` run the CLI from the sources, in an empty
 *   directory, with an empty model store (MULLAMA_MODELS).
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import { defaultModelPath } from "../../src/index.ts";
import { startTestServer, type TestServer } from "../server/helpers.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
/** Most time one block may take, model load included. */
const blockTimeoutMs = 90_000;

type Language = "ts" | "js" | "sh";
interface CodeBlock {
  file: string;
  line: number;
  language: Language;
  code: string;
  skip: string | undefined;
  expect: RegExp | undefined;
  server: boolean;
  /** The block this one goes on from, when it is marked so. */
  continues: CodeBlock | undefined;
}

const languages: Record<string, Language> = { ts: "ts", typescript: "ts", js: "js", javascript: "js", sh: "sh", bash: "sh", shell: "sh" };

/** The code blocks of a Markdown file, with the comments right before each. */
function codeBlocks(file: string, markdown: string): CodeBlock[] {
  const lines = markdown.split("\n");
  const blocks: CodeBlock[] = [];
  for (let index = 0; index < lines.length; index++) {
    const fence = /^```(\w*)\s*$/.exec(lines[index]!);
    if (fence === null) continue;
    const start = index;
    let end = index + 1;
    while (end < lines.length && !/^```\s*$/.test(lines[end]!)) end++;
    index = end;
    const language = languages[fence[1]!];
    if (language === undefined) continue;
    const comments: string[] = [];
    for (let above = start - 1; above >= 0 && /^<!--.*-->\s*$/.test(lines[above]!); above--) comments.push(lines[above]!);
    const comment = (name: string) => comments.map((text) => new RegExp(`^<!--\\s*${name}:\\s*(.*?)\\s*-->`).exec(text)?.[1]).find((value) => value !== undefined);
    const expected = comment("expect");
    const pattern = expected === undefined ? undefined : /^\/(.*)\/([a-z]*)$/.exec(expected);
    if (expected !== undefined && pattern === null) throw new Error(`${file}:${start + 1}: write expect as /regex/flags`);
    blocks.push({
      file,
      line: start + 1,
      language,
      code: lines.slice(start + 1, end).join("\n"),
      skip: comment("not run"),
      expect: pattern === null || pattern === undefined ? undefined : new RegExp(pattern[1]!, pattern[2]),
      server: comment("run") === "server",
      continues: comment("run") === "after the previous block" ? blocks.at(-1) : undefined,
    });
    const block = blocks.at(-1)!;
    if (comment("run") === "after the previous block" && block.continues?.language !== block.language) throw new Error(`${file}:${block.line}: "after the previous block" needs a previous ${block.language} block`);
  }
  return blocks;
}

const documents = ["README.md", ...readdirSync(join(root, "docs/guides")).filter((name) => name.endsWith(".md")).sort().map((name) => `docs/guides/${name}`)];

let demoServer: TestServer;
let workDirectory: string;
let store: string;
let shellDirectory: string;
before(async () => {
  demoServer = await startTestServer({ modelName: "model", parallel: 2 });
  // Inside node_modules, so that the blocks' own imports (openai, ...) resolve as in a project.
  const cache = join(root, "node_modules/.cache");
  mkdirSync(cache, { recursive: true });
  workDirectory = mkdtempSync(join(cache, "mullama-doc-blocks-"));
  store = mkdtempSync(join(tmpdir(), "mullama-doc-store-"));
  shellDirectory = mkdtempSync(join(tmpdir(), "mullama-doc-sh-"));
});
after(async () => {
  await demoServer?.server.close();
  for (const directory of [workDirectory, store, shellDirectory]) if (directory !== undefined) rmSync(directory, { recursive: true, force: true });
});

for (const document of documents) {
  describe(document, () => {
    const blocks = codeBlocks(document, readFileSync(join(root, document), "utf8"));
    let background: { child: ChildProcess; url: string } | undefined;
    after(() => background?.child.kill("SIGTERM"));

    test("has code blocks, and every skipped one says why", () => {
      assert.ok(blocks.length > 0);
      for (const block of blocks) if (block.skip !== undefined) assert.notEqual(block.skip, "", `${document}:${block.line}`);
    });

    for (const block of blocks) {
      test(`${document}:${block.line} (${block.language}${block.server ? ", server" : ""})`, { skip: block.skip === undefined ? false : `not run: ${block.skip}`, timeout: blockTimeoutMs + 5_000 }, async () => {
        if (block.language === "js") assertBuildIsFresh();
        const code = substitute(block, background?.url);
        if (block.server) {
          background = await startBackground(block, code);
          return;
        }
        const { code: exitCode, stdout, stderr } = await runBlock(block, code);
        assert.equal(exitCode, 0, `exit code ${exitCode}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`);
        if (block.expect !== undefined) assert.match(stdout, block.expect, stderr);
      });
    }
  });
}

/** js blocks run the build: one older than the sources would test old code. */
function assertBuildIsFresh(): void {
  const built = statSync(join(root, "dist/index.js"), { throwIfNoEntry: false });
  assert.ok(built !== undefined, "js blocks run dist/: run npm run build first");
  const newest = Math.max(...readdirSync(join(root, "src"), { recursive: true, encoding: "utf8" }).filter((name) => name.endsWith(".ts")).map((name) => statSync(join(root, "src", name)).mtimeMs));
  assert.ok(built.mtimeMs >= newest, "dist/ is older than src/: run npm run build first");
}

/** The block's code, after the code of the blocks it goes on from. */
function fullCode(block: CodeBlock): string {
  // In a scope of its own: a piece may name what an earlier piece named.
  return block.continues === undefined ? block.code : `${fullCode(block.continues)}\n{\n${block.code}\n}`;
}

function substitute(block: CodeBlock, backgroundUrl: string | undefined): string {
  const mullama = block.language === "js" ? pathToFileURL(join(root, "dist/index.js")).href : join(root, "src/index.ts");
  let code = fullCode(block)
    .replace(/from "mullama"/g, `from "${mullama}"`)
    .replace(/(?<![\w/.-])(?:\.\/)?model\.gguf(?![\w-])/g, defaultModelPath)
    .replace(/http:\/\/127\.0\.0\.1:8080/g, demoServer.url);
  if (backgroundUrl !== undefined) code = code.replace(/http:\/\/127\.0\.0\.1:3000/g, backgroundUrl);
  if (block.language !== "sh") return code;
  // tsx by its resolved URL: the block runs in a directory of its own, where "tsx" would not resolve.
  const cli = `node --import ${import.meta.resolve("tsx")} ${join(root, "src/cli/main.ts")}`;
  const prelude = [
    "set -euo pipefail",
    `mullama() { ${cli} "$@"; }`,
    'npx() { if [ "$1" = mullama ]; then shift; mullama "$@"; else command npx "$@"; fi; }',
  ];
  return `${prelude.join("\n")}\n${code}\n`;
}

function blockProcess(block: CodeBlock, code: string, env: Record<string, string> = {}): ChildProcess {
  const name = `${block.file.replace(/\W+/g, "-")}-${block.line}`;
  const extension = { ts: "mts", js: "mjs", sh: "sh" }[block.language];
  const file = join(workDirectory, `${name}.${extension}`);
  writeFileSync(file, code);
  const [command, args, cwd] =
    block.language === "sh" ? ["bash", [file], shellDirectory] : block.language === "ts" ? [process.execPath, ["--import", "tsx", file], root] : [process.execPath, [file], root];
  return spawn(command, args, {
    cwd,
    env: { ...process.env, MULLAMA_MODELS: store, MULLAMA_API_KEY: "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
    timeout: blockTimeoutMs,
  });
}

function runBlock(block: CodeBlock, code: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = blockProcess(block, code);
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (text: string) => (stdout += text));
  child.stderr!.setEncoding("utf8").on("data", (text: string) => (stderr += text));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (exitCode) => resolve({ code: exitCode, stdout, stderr }));
  });
}

/** Starts a server block with PORT=0 and waits for the URL it prints. */
async function startBackground(block: CodeBlock, code: string): Promise<{ child: ChildProcess; url: string }> {
  const child = blockProcess(block, code, { PORT: "0" });
  let output = "";
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server printed no URL in ${blockTimeoutMs} ms:\n${output}`)), blockTimeoutMs);
    const onData = (text: string) => {
      output += text;
      const found = /https?:\/\/[\w.:[\]-]+/.exec(output)?.[0];
      if (found === undefined) return;
      clearTimeout(timer);
      resolve(found);
    };
    child.stdout!.setEncoding("utf8").on("data", onData);
    child.stderr!.setEncoding("utf8").on("data", (text: string) => (output += text));
    child.on("exit", (exitCode) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (${exitCode}) before printing its URL:\n${output}`));
    });
  });
  return { child, url };
}
