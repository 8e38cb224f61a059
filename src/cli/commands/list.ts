/** `mullama list`: the models in the store. */
import { parseArgs } from "node:util";
import { ModelStore } from "../../store/ModelStore.js";
import { formatAge, formatBytes, formatCount, formatTable } from "../format.js";

export const listUsage = `Usage: mullama list [options]

Lists the models in the model store (MULLAMA_MODELS, default ~/.cache/mullama/models):
name, size, quantization, parameters and when each was pulled. A name works wherever a
model is taken: mullama run -m <name>, mullama serve -m <name>, Model.load(name).

Options:
      --json                the models as a JSON array
`;

export async function listCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, strict: true, options: { json: { type: "boolean" }, help: { type: "boolean", short: "h" } } });
  if (values.help) {
    process.stdout.write(listUsage);
    return 0;
  }
  const store = new ModelStore();
  const models = await store.list();
  if (values.json) {
    process.stdout.write(`${JSON.stringify(models, null, 2)}\n`);
    return 0;
  }
  if (models.length === 0) {
    process.stderr.write(`no models in ${store.directory}; add one with "mullama pull <reference>"\n`);
    return 0;
  }
  const rows = models.map((model) => [model.name, formatBytes(model.sizeBytes), model.quantization ?? "-", formatCount(model.parameterCount), formatAge(model.pulledAt)]);
  process.stdout.write(formatTable([["NAME", "SIZE", "QUANTIZATION", "PARAMETERS", "PULLED"], ...rows]));
  return 0;
}
