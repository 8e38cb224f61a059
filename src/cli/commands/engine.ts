/**
 * `mullama engine [status | build | reset]`: which llama.cpp binary runs models on the CPU,
 * building one for this machine, and going back to the prebuilt one.
 */
import { nodeLlamaCppVersion } from "../../engine/engineVersion.js";
import { buildLocalEngine } from "../../engine/localEngine/buildEngine.js";
import { engineRecordPath, preferredEngine, readLocalEngineRecord, removeLocalEngineRecord, type LocalEngineRecord } from "../../engine/localEngine/engineRecord.js";
import { defaultModelPath } from "../../model/defaultModel.js";
import { defineCommand, UsageError } from "../command.js";
import { progressBar, StatusLine } from "../statusLine.js";

/** node-llama-cpp's build prints Ninja's `[done/total]` before each compile step. */
const buildStepPattern = /^\[(\d+)\/(\d+)\]/;

export const engineCommand = defineCommand({
  name: "engine",
  arguments: "[status | build | reset]",
  description: `Which llama.cpp binary runs models on the CPU here.
  status  the binary in use, and the check figures of a local build (the default)
  build   builds llama.cpp from the source node-llama-cpp ships (needs cmake and a C++
          compiler; about 10 minutes on 2 idle cores): on x86-64 Linux, the prebuilt
          kind of binary with a persistent thread pool, on the prebuilt CPU kernels;
          elsewhere with OpenMP and this machine's CPU flags. It checks the build
          against the prebuilt binary on the demo model, and uses it from then on if it
          is as fast (--force: anyway). A build already there is
          checked, not compiled again, unless --rebuild. On any failure the prebuilt
          binary stays in use.
  reset   forgets the local build: the prebuilt binary is used again.
MULLAMA_ENGINE=prebuilt (or local) overrides the choice for one process.`,
  options: {
    json: { type: "boolean", help: "status as one JSON object" },
    rebuild: { type: "boolean", help: "build: compile again even when a local build is there and works" },
    force: { type: "boolean", help: "build: use the local build even when the prebuilt binary was faster in the check" },
  },
  async run(values, positionals) {
    const [action = "status", ...rest] = positionals;
    if (rest.length > 0) throw new UsageError(`engine takes one action, not ${positionals.length}`, "engine");
    if (action === "status") return status(values.json === true);
    if (action === "reset") {
      removeLocalEngineRecord();
      process.stderr.write("the prebuilt engine is used from now on (the local build stays in node-llama-cpp's folder until it is reinstalled)\n");
      return 0;
    }
    if (action === "build") return build(values.rebuild === true, values.force === true);
    throw new UsageError(`unknown engine action "${action}": use status, build or reset`, "engine");
  },
});

function status(json: boolean): number {
  const record = readLocalEngineRecord();
  const preferred = preferredEngine(nodeLlamaCppVersion());
  if (json) {
    process.stdout.write(`${JSON.stringify({ engine: preferred.kind, nodeLlamaCpp: nodeLlamaCppVersion(), record: record ?? null, recordPath: engineRecordPath() }, null, 2)}\n`);
    return 0;
  }
  process.stdout.write(`engine: ${preferred.kind === "local" ? "built here" : "prebuilt"} (node-llama-cpp ${nodeLlamaCppVersion()})\n`);
  if (record !== undefined) process.stdout.write(describeRecord(record));
  else process.stdout.write('no local build; "mullama engine build" makes one\n');
  return 0;
}

function describeRecord(record: LocalEngineRecord): string {
  const speeds = (figures: Record<string, number>) => Object.entries(figures).map(([threads, speed]) => `${speed} at ${threads} thread${threads === "1" ? "" : "s"}`).join(", ");
  const stale = record.nodeLlamaCpp === nodeLlamaCppVersion() ? "" : ` (for node-llama-cpp ${record.nodeLlamaCpp}: rebuild to use it)`;
  const side = (name: string, figures: LocalEngineRecord["check"]["local"]) => `  ${name}: decode ${speeds(figures.decode)}; 200-token prompt ${speeds(figures.prompt)}\n`;
  return `local build of ${record.builtAt.slice(0, 16).replace("T", " ")} UTC${stale}, ${Object.entries(record.cmakeOptions).map(([name, value]) => `${name}=${value}`).join(" ")}
check on the demo model, tokens/s:
${side("prebuilt", record.check.prebuilt)}${side("built here", record.check.local)}`;
}

async function build(rebuild: boolean, force: boolean): Promise<number> {
  const line = new StatusLine();
  const say = (text: string) => (line.enabled ? line.print(text) : process.stderr.write(`${text}\n`));
  const { record, used } = await buildLocalEngine({
    checkModelPath: defaultModelPath,
    rebuild,
    force,
    onStep: (step) =>
      say(
        {
          source: "getting the llama.cpp source node-llama-cpp ships",
          build: "compiling (this takes a while)",
          check: "checking: decoding the demo model with both binaries",
          found: "a local build is already here and decodes (--rebuild compiles again); measuring both binaries",
        }[step],
      ),
    onOutput: (output) => {
      const progress = buildStepPattern.exec(output);
      if (progress !== null) line.draw(`${progressBar(Number(progress[1]) / Number(progress[2]), 30)}  ${output.slice(progress[0].length).trim()}`);
    },
  });
  line.clear();
  if (used) process.stdout.write(`built and checked; used from now on\n${describeRecord(record)}`);
  else process.stdout.write(`built and checked, but the prebuilt binary was faster here, so it stays in use ("engine build --force" uses the local build anyway)\n${describeRecord(record)}`);
  return 0;
}
