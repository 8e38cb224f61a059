/**
 * Row 7: start-up, from process start to the first generated token on standard output,
 * for the CLI `run` on the demo model against a minimal raw node-llama-cpp script that
 * does the same (start the engine, load, create a context, evaluate, print one token).
 * Plus a bare `node` start for scale. Each run is a fresh process; the model file is
 * in the page cache after the first run on both sides (warm start, the common case).
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { defaultModelPath } from "../src/index.ts";
import { interleaved, pairedRatios, spread, type Spread } from "./stats.ts";

export interface StartupResult {
  cli: Spread;
  raw: Spread;
  bareNode: Spread;
  ratio: Spread;
  /** How the CLI was started. */
  command: string;
}

const root = fileURLToPath(new URL("../", import.meta.url));
const prompt = "In the beginning";

const rawScript = fileURLToPath(new URL("./startupRaw.mjs", import.meta.url));

/** Milliseconds from spawning `args` to its first byte on stdout; waits for it to exit. */
async function timeToFirstOutput(args: string[]): Promise<number> {
  const started = performance.now();
  const child = spawn(process.execPath, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  let firstOutput: number | undefined;
  let errors = "";
  child.stdout.once("data", () => {
    firstOutput = performance.now();
  });
  child.stdout.resume();
  child.stderr.on("data", (chunk: Buffer) => (errors += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
  if (code !== 0 || firstOutput === undefined) throw new Error(`start-up run failed (${args.join(" ")}): exit ${code}\n${errors}`);
  return firstOutput - started;
}

/** Newest modification time under a folder, in milliseconds. */
function newestChange(folder: string): number {
  let newest = 0;
  for (const entry of readdirSync(folder, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/**
 * The built CLI, rebuilt first when the sources are newer (a stale build would measure old
 * code). Falls back to running the sources through tsx when the build fails.
 */
function cliCommand(): { args: string[]; description: string } {
  const built = join(root, "dist/cli/main.js");
  let note = "";
  if (!existsSync(built) || statSync(built).mtimeMs < newestChange(join(root, "src"))) {
    try {
      execFileSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json"], { cwd: root, stdio: "ignore" });
      note = ", built by this run";
    } catch {
      return { args: ["--import", "tsx", join(root, "src/cli/main.ts")], description: "node --import tsx src/cli/main.ts run (the build failed)" };
    }
  }
  return { args: [built], description: `node dist/cli/main.js run${note}` };
}

export async function benchmarkStartup(options: { repeats: number }): Promise<StartupResult> {
  const cli = cliCommand();
  const cliArgs = [...cli.args, "run", prompt, "-n", "1", "-t", "0", "-q", "--threads", "1"];
  const rawArgs = [rawScript, defaultModelPath, prompt];
  // Warm the page cache and the engine's binary check on both sides.
  await timeToFirstOutput(cliArgs);
  await timeToFirstOutput(rawArgs);
  const results = await interleaved(options.repeats, {
    cli: () => timeToFirstOutput(cliArgs),
    raw: () => timeToFirstOutput(rawArgs),
    bareNode: () => timeToFirstOutput(["-e", "process.stdout.write('.')"]),
  });
  return { cli: spread(results.cli), raw: spread(results.raw), bareNode: spread(results.bareNode), ratio: pairedRatios(results.cli, results.raw), command: cli.description };
}
