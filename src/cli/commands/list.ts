/** `mullama list`: the models in the store. */
import { ModelStore } from "../../store/ModelStore.js";
import { defineCommand } from "../command.js";
import { formatAge, formatBytes, formatCount, formatTable } from "../format.js";

export const listCommand = defineCommand({
  name: "list",
  arguments: "",
  description: `Lists the models in the model store (MULLAMA_MODELS, default ~/.cache/mullama/models):
name, size, quantization, parameters and when each was pulled. A name works wherever a
model is taken: mullama run -m <name>, mullama serve -m <name>, Model.load(name).`,
  options: { json: { type: "boolean", help: "the models as a JSON array" } },
  async run(values) {
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
  },
});
