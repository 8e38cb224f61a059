/**
 * `npm run stress [-- --duration 300] [-- --seed 13] [-- --hang-ups 500] [-- --quick] [-- --no-write]`:
 * the load-and-fault suite against a real `mullama serve` on loopback (see suite.ts),
 * printed and written to docs/RELIABILITY.md under "Load and faults". Exits 1 when the
 * server did not hold (a failure, hang, 5xx, different text, unclean 503 or death).
 */
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { loadAverage } from "../machine.ts";
import { stressSection, writeSection } from "./report.ts";
import { fullProfile, problemsOf, quickProfile, runStress, type StressProfile } from "./suite.ts";

const { values } = parseArgs({
  options: {
    duration: { type: "string" },
    seed: { type: "string" },
    "hang-ups": { type: "string" },
    threads: { type: "string" },
    quick: { type: "boolean" },
    "no-write": { type: "boolean" },
  },
});

function count(name: string, value: string | undefined, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min) throw new Error(`--${name} expects an integer of at least ${min}, not "${value}"`);
  return parsed;
}

const base = values.quick ? quickProfile : fullProfile;
const profile: StressProfile = {
  ...base,
  soakSeconds: count("duration", values.duration, base.soakSeconds, 1),
  seed: count("seed", values.seed, base.seed),
  hangUps: count("hang-ups", values["hang-ups"], base.hangUps),
  threads: values.threads === "adaptive" ? undefined : count("threads", values.threads, base.threads ?? 1, 1),
};

// Ctrl+C: exit through process.exit, which also stops the server the run started.
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => process.exit(130));

const loadBefore = loadAverage();
const figures = await runStress(profile, (line) => process.stderr.write(`${line}\n`));
const command = ["npm run stress", ...(process.argv.length > 2 ? ["--", ...process.argv.slice(2)] : [])].join(" ");
const section = stressSection(figures, command, { before: loadBefore, after: loadAverage() });
process.stdout.write(`${section}\n`);
if (!values["no-write"]) {
  const path = fileURLToPath(new URL("../../docs/RELIABILITY.md", import.meta.url));
  writeSection(path, section);
  process.stderr.write(`written to ${path}\n`);
}
const problems = problemsOf(figures);
if (problems.length > 0) {
  process.stderr.write(`${problems.length} problems: the server did not hold\n`);
  process.exitCode = 1;
}
