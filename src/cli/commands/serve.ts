/** `mullama serve`: the HTTP server (OpenAI, Ollama, SSE and WebSocket APIs) until SIGINT or SIGTERM. */
import { parseArgs } from "node:util";
import { createServer } from "../../server/createServer.js";
import { serverDefaults } from "../../server/serverOptions.js";
import { definedOnly, integerFlag } from "../flags.js";
import { modelOptionHelp, modelOptions, resolveModelOption } from "../modelOption.js";

export const serveUsage = `Usage: mullama serve [options]

Serves one model over HTTP: a chat page at /, OpenAI-compatible /v1/*, Ollama-compatible
/api/*, SSE on /generate, WebSocket on /ws, /health and /metrics. See docs/SERVER.md.

Options:
${modelOptionHelp(29)}
      --model-name <name>    name clients use in "model" fields (default: the store name, or
                             the file name without .gguf)
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
  // A store name or reference becomes its file here; the server is given a path.
  const model = values.model === undefined ? undefined : await resolveModelOption(values.model, values.pull);
  const server = createServer({
    ...definedOnly({
      model: model?.path,
      modelName: values["model-name"] ?? model?.name,
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
    const context = server.context!;
    process.stderr.write(
      `mullama: serving ${server.address!.url} (${context.sequences} parallel x ${context.contextSize} tokens of context${apiKey === undefined ? "" : ", API key required"}); Ctrl+C stops\n`,
    );
    if (values["no-ui"] !== true) process.stderr.write(`mullama: chat in a browser at ${server.address!.url}/\n`);
  }
  const signal = await stopped;
  process.stderr.write(`mullama: ${signal} received, shutting down (running requests get ${(gracePeriodSeconds ?? serverDefaults.gracePeriodMs / 1000)} s)\n`);
  await server.close();
  await listening.catch(() => {});
  process.stderr.write("mullama: stopped\n");
  return 0;
}
