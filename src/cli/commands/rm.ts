/** `mullama rm <name>...`: remove models from the store. */
import { ModelStore } from "../../store/ModelStore.js";
import { defineCommand, UsageError } from "../command.js";
import { formatBytes } from "../format.js";

export const rmCommand = defineCommand({
  name: "rm",
  arguments: "<name> [<name>...]",
  description: `Removes models from the model store ("mullama list" shows the names; references work too).
A model leaves the store at once, whole; a server that has it loaded keeps running it.`,
  options: {},
  async run(_values, positionals) {
    if (positionals.length === 0) throw new UsageError('rm takes the name of a model ("mullama list" shows them)', "rm");
    const store = new ModelStore();
    for (const name of positionals) {
      const model = await store.remove(name);
      process.stdout.write(`removed ${model.name} (${formatBytes(model.sizeBytes)})\n`);
    }
    return 0;
  },
});
