/** `mullama show <name>`: what a model is, from its header (and, for a stored model, its manifest). */
import { resolveModelSource } from "../../model/modelSource.js";
import { readModelDetails } from "../../store/modelDetails.js";
import { defineCommand, UsageError } from "../command.js";
import { formatAge, formatBytes, formatCount } from "../format.js";

export const showCommand = defineCommand({
  name: "show",
  arguments: "<model>",
  description: `Shows a model's architecture, parameters, quantization, context length, chat template
and license, read from its GGUF header. <model> is a store name ("mullama list"), a
reference or a GGUF file.`,
  options: { json: { type: "boolean", help: "everything as one JSON object (the chat template in full)" } },
  async run(values, positionals) {
    if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'show needs a model: mullama show <name> ("mullama list" shows them)' : `show takes one model, not ${positionals.length}`, "show");
    const { path, stored } = await resolveModelSource(positionals[0]!, { pull: false });
    const details = await readModelDetails(path);
    if (values.json) {
      const source = stored === undefined ? {} : { reference: stored.reference, pulledAt: stored.pulledAt, storedFiles: stored.files };
      const { name: displayName, ...rest } = details;
      process.stdout.write(`${JSON.stringify({ name: stored?.name ?? path, path, displayName, ...rest, ...source }, null, 2)}\n`);
      return 0;
    }
    const rows: [string, string][] = [
      ["architecture", details.architecture],
      ["parameters", `${formatCount(details.parameterCount)} (${details.parameterCount})`],
      ["quantization", details.quantization ?? "unknown"],
      ["context length", details.contextLength === undefined ? "unknown" : `${details.contextLength} tokens`],
      ["embedding length", details.embeddingLength === undefined ? "unknown" : String(details.embeddingLength)],
      ["chat template", details.chatTemplate === undefined ? "none" : `yes (${formatBytes(Buffer.byteLength(details.chatTemplate))})`],
      ["license", details.license ?? "not stated in the file"],
      ["size", `${formatBytes(details.sizeBytes)} in ${details.files.length} file${details.files.length === 1 ? "" : "s"}`],
    ];
    if (stored !== undefined) {
      rows.push(["pulled", `${stored.pulledAt.toISOString()} (${formatAge(stored.pulledAt)}) from ${stored.reference}`]);
      for (const file of stored.files) rows.push(["sha256", `${file.sha256}  ${file.name}`]);
    }
    rows.push(["path", path]);
    const width = Math.max(...rows.map(([label]) => label.length));
    process.stdout.write(`${stored?.name ?? details.name ?? path}\n${rows.map(([label, value]) => `  ${label.padEnd(width)}   ${value}`).join("\n")}\n`);
    return 0;
  },
});
