/** `mullama serve`: the HTTP server (OpenAI, Ollama, SSE and WebSocket APIs) until SIGINT or SIGTERM. */
import { parseArgs } from "node:util";
import { createServer } from "../../server/createServer.js";
import { serverDefaults } from "../../server/serverOptions.js";
import { InvalidArgumentError } from "../../errors.js";
import { defaultModelPath } from "../../model/defaultModel.js";
import { ModelStore } from "../../store/ModelStore.js";
import { definedOnly, integerFlag } from "../flags.js";
import { modelOptionHelp, modelOptions, resolveModelOption } from "../modelOption.js";

export const serveUsage = `Usage: mullama serve [options]

Serves models over HTTP: a chat page at /, OpenAI-compatible /v1/*, Ollama-compatible
/api/*, SSE on /generate, WebSocket on /ws, /health and /metrics. See docs/SERVER.md.
Without -m it serves every model in the store (the bundled demo model when the store is
empty), each loaded on first use; a request's "model" field picks one. With one -m it
serves that model, loaded at start; -m may repeat.

Options:
${modelOptionHelp(29)}
      --model-name <name>    name clients use in "model" fields, with one -m (default: the
                             store name, or the file name without .gguf)
      --keep-alive <time>    how long a model stays loaded after its last request: seconds,
                             or 30s, 5m, 1h; 0 unloads at once, -1 never (default: 5m;
                             forever with one -m). A request's keep_alive overrides it
      --max-loaded-models <n>
                             models loaded at once; the least recently used idle one is
                             unloaded to make room (default: ${serverDefaults.maxLoadedModels})
      --host <address>       address to bind (default: ${serverDefaults.host}, loopback only)
  -p, --port <n>             TCP port, 0 for any free one (default: ${serverDefaults.port})
      --parallel <n>         requests generating at once, batched on one context (default: ${serverDefaults.parallel})
      --max-queue <n>        requests waiting beyond those; more get 503 + Retry-After
                             (default: ${serverDefaults.queuePerSequence} x parallel)
  -c, --context-size <n>     context tokens for EACH parallel request (default: model's, at most 4096)
      --threads <n>          fixed CPU threads (default: adaptive, per decode)
      --api-key <key>        require this key (Authorization: Bearer, or X-Api-Key) on every
                             route but /health; MULLAMA_API_KEY works too and stays out of ps
      --cors-origin <origin> let browser pages from this origin call the server ("*" for any);
                             repeatable (default: none)
      --body-limit <bytes>   largest request body and WebSocket message (default: ${serverDefaults.bodyLimit})
      --grace-period <s>     on SIGINT/SIGTERM, seconds running requests get to finish
                             before they are cancelled (default: ${serverDefaults.gracePeriodMs / 1000})
      --no-ui                do not serve the chat page at /
      --gpu                  offload to a GPU when one is available (default: CPU only)
  -q, --quiet                do not log requests (errors and generations) to stdout
`;

export async function serveCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      ...modelOptions,
      model: { type: "string", short: "m", multiple: true },
      "keep-alive": { type: "string" },
      "max-loaded-models": { type: "string" },
      "model-name": { type: "string" },
      host: { type: "string" },
      port: { type: "string", short: "p" },
      parallel: { type: "string" },
      "max-queue": { type: "string" },
      "context-size": { type: "string", short: "c" },
      threads: { type: "string" },
      "api-key": { type: "string" },
      "cors-origin": { type: "string", multiple: true },
      "body-limit": { type: "string" },
      "grace-period": { type: "string" },
      "no-ui": { type: "boolean" },
      gpu: { type: "boolean" },
      quiet: { type: "boolean", short: "q" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(serveUsage);
    return 0;
  }
  const gracePeriodSeconds = integerFlag("grace-period", values["grace-period"], { min: 0, max: 3600 });
  const apiKey = values["api-key"] ?? (process.env.MULLAMA_API_KEY || undefined);
  const given = values.model ?? [];
  if (given.length > 1 && values["model-name"] !== undefined) throw new InvalidArgumentError("--model-name", "names the model of a single -m; with several, each is named by its store or file name");
  // A reference is pulled here (with --pull); the server is given a path, or the store name for a stored model.
  const resolved = [];
  for (const model of given) resolved.push(await resolveModelOption(model, values.pull));
  const single = resolved.length === 1 ? resolved[0] : undefined;
  const store = new ModelStore();
  const fromStore = resolved.length === 0;
  const models = fromStore ? ((await store.list()).length === 0 ? [defaultModelPath] : undefined) : resolved.length > 1 ? resolved.map((model) => model.name ?? model.path) : undefined;
  const server = createServer({
    ...definedOnly({
      model: single?.path,
      models,
      store: fromStore ? store.directory : undefined,
      keepAlive: values["keep-alive"],
      maxLoadedModels: integerFlag("max-loaded-models", values["max-loaded-models"], { max: 1000 }),
      modelName: values["model-name"] ?? single?.name,
      host: values.host,
      port: integerFlag("port", values.port, { min: 0, max: 65_535 }),
      parallel: integerFlag("parallel", values.parallel, { max: 64 }),
      maxQueue: integerFlag("max-queue", values["max-queue"], { min: 0 }),
      contextSize: integerFlag("context-size", values["context-size"]),
      threads: integerFlag("threads", values.threads),
      apiKey,
      corsOrigin: values["cors-origin"],
      bodyLimit: integerFlag("body-limit", values["body-limit"], { max: 1024 * 1024 * 1024 }),
      gracePeriodMs: gracePeriodSeconds === undefined ? undefined : gracePeriodSeconds * 1000,
    }),
    ui: values["no-ui"] !== true,
    gpu: values.gpu ? "auto" : false,
    probe: values.probe ?? false,
    logger: !values.quiet,
  });

  // Registered before loading: a signal during the load still shuts down cleanly.
  const stopped = new Promise<string>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      // A second signal means "now": leave without waiting for the grace period.
      process.once("SIGINT", () => process.exit(130));
      process.once("SIGTERM", () => process.exit(143));
      resolve(signal);
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });

  const listening = server.listen();
  let first: string | undefined;
  try {
    first = await Promise.race([listening.then(() => undefined), stopped]);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code !== "EADDRINUSE" && code !== "EACCES") throw error;
    const address = `${values.host ?? serverDefaults.host}:${values.port ?? serverDefaults.port}`;
    process.stderr.write(`mullama: cannot listen on ${address}: ${code === "EADDRINUSE" ? "the port is in use (choose another with --port)" : "permission denied"}\n`);
    return 1;
  }
  if (first === undefined) {
    const context = server.context;
    const served = (await server.models!.catalog.list()).map((entry) => entry.id);
    const shape = context !== undefined ? `${context.sequences} parallel x ${context.contextSize} tokens of context` : `${served.length} model(s), each loaded on first use: ${served.join(", ") || "none yet (mullama pull adds one)"}`;
    process.stderr.write(`mullama: serving ${server.address!.url} (${shape}${apiKey === undefined ? "" : ", API key required"}); Ctrl+C stops\n`);
    if (values["no-ui"] !== true) process.stderr.write(`mullama: chat in a browser at ${server.address!.url}/\n`);
  }
  const signal = await stopped;
  process.stderr.write(`mullama: ${signal} received, shutting down (running requests get ${(gracePeriodSeconds ?? serverDefaults.gracePeriodMs / 1000)} s)\n`);
  await server.close();
  await listening.catch(() => {});
  process.stderr.write("mullama: stopped\n");
  return 0;
}
