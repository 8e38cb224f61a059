/** `mullama rm <name>...`: remove models from the store. */
import { parseArgs } from "node:util";
import { ModelStore } from "../../store/ModelStore.js";
import { formatBytes } from "../format.js";

export const rmUsage = `Usage: mullama rm <name> [<name>...]

Removes models from the model store ("mullama list" shows the names; references work too).
A model leaves the store at once, whole; a server that has it loaded keeps running it.
`;

export async function rmCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, strict: true, options: { help: { type: "boolean", short: "h" } } });
  if (values.help) {
    process.stdout.write(rmUsage);
    return 0;
  }
  if (positionals.length === 0) {
    process.stderr.write(`mullama: rm takes the name of a model\n\n${rmUsage}`);
    return 2;
  }
  const store = new ModelStore();
  for (const name of positionals) {
    const model = await store.remove(name);
    process.stdout.write(`removed ${model.name} (${formatBytes(model.sizeBytes)})\n`);
  }
  return 0;
}
