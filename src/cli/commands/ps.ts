/** `mullama ps`: the models a running server has loaded, and how busy it is. */
import { defineCommand } from "../command.js";
import { integerFlag } from "../flags.js";
import { formatBytes, formatTable } from "../format.js";
import { fetchServerStatus, type RunningModel } from "../serverStatus.js";

/**
 * Where `mullama serve` listens by default (its serverDefaults, which a unit test holds
 * this to): written out so that `ps` does not load the server and the engine to ask.
 */
export const defaultServerAddress = { host: "127.0.0.1", port: 8080 } as const;

export const psCommand = defineCommand({
  name: "ps",
  arguments: "",
  description: `Shows the models a running server has loaded: name, memory taken, context per
request, parallel requests, how many are generating and waiting now, and until when it
keeps each loaded.
Asks GET /api/ps and /health (mullama, Ollama), else /v1/models (llama.cpp's server and
other OpenAI-compatible servers).`,
  options: {
    host: { type: "string", value: "<address>", help: `the server's address (default: ${defaultServerAddress.host})` },
    port: { type: "string", short: "p", value: "<n>", help: `the server's port (default: ${defaultServerAddress.port})` },
    "api-key": { type: "string", value: "<key>", help: "the server's API key, when it wants one (default: MULLAMA_API_KEY)" },
    json: { type: "boolean", help: "the server's URL, status and models as one JSON object" },
  },
  async run(values) {
    const host = values.host ?? defaultServerAddress.host;
    const port = integerFlag("port", values.port, { min: 1, max: 65_535 }) ?? defaultServerAddress.port;
    const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
    const status = await fetchServerStatus(url, values["api-key"] ?? (process.env.MULLAMA_API_KEY || undefined));
    if (values.json) {
      process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
      return 0;
    }
    if (status.models.length === 0) {
      process.stderr.write(status.status === "loading" ? `the server at ${url} is loading its model\n` : `the server at ${url} has no model loaded (status: ${status.status})\n`);
      return 0;
    }
    const header = ["NAME", "SIZE", "CONTEXT", "PARALLEL", "BUSY", "QUEUED", "UNTIL"];
    process.stdout.write(formatTable([header, ...status.models.map(row)]));
    return 0;
  },
});

function row(model: RunningModel): string[] {
  const known = (value: number | undefined, format: (value: number) => string = String) => (value === undefined ? "-" : format(value));
  return [
    model.name,
    known(model.sizeBytes, formatBytes),
    known(model.contextSize),
    known(model.parallel),
    known(model.busySequences),
    known(model.queuedGenerations),
    until(model.expiresAt),
  ];
}

/** "forever" for a model kept while the server runs (Ollama's far-future date), else the local time. */
function until(expiresAt: string | undefined): string {
  if (expiresAt === undefined) return "-";
  const date = new Date(expiresAt);
  if (Number.isNaN(date.getTime())) return expiresAt;
  if (date.getUTCFullYear() >= 9999) return "forever";
  return date.toLocaleString();
}
