/** `mullama serve`: the HTTP server (OpenAI, Ollama, SSE and WebSocket APIs) until SIGINT or SIGTERM. */
import { InvalidArgumentError } from "../../errors.js";
import { defaultModelPath } from "../../model/defaultModel.js";
import { createServer } from "../../server/createServer.js";
import { serverDefaults } from "../../server/serverOptions.js";
import { ModelStore } from "../../store/ModelStore.js";
import { readModelDetails } from "../../store/modelDetails.js";
import { defineCommand } from "../command.js";
import { definedOnly, integerFlag } from "../flags.js";
import { listenFailure } from "../listenFailure.js";
import { cappedContextSize, modelOptionNames, resolveModelOption } from "../modelOption.js";
import { cliOptions, pickOptions } from "../options.js";

export const serveCommand = defineCommand({
  name: "serve",
  arguments: "",
  description: `Serves models over HTTP: a chat page at /, OpenAI-compatible /v1/*, Ollama-compatible
/api/*, SSE on /generate, WebSocket on /ws, /health and /metrics. See docs/SERVER.md.
Without -m it serves every model in the store (the bundled demo model when the store is
empty), each loaded on first use; a request's "model" field picks one. With one -m it
serves that model, loaded at start; -m may repeat. With --upstream it is a gateway: the
models of those engines (vLLM, llama.cpp's server, another mullama) are served too, and
without -m only they are. See docs/REMOTE.md, "Gateway".`,
  options: {
    ...pickOptions(...modelOptionNames),
    model: { ...cliOptions.model, multiple: true, help: `${cliOptions.model.help}; repeatable` },
    "model-name": { type: "string", value: "<name>", help: 'name clients use in "model" fields, with one -m (default: the\nstore name, or the file name without .gguf)' },
    "keep-alive": {
      type: "string",
      value: "<time>",
      help: "how long a model stays loaded after its last request: seconds,\nor 30s, 5m, 1h; 0 unloads at once, -1 never (default: 5m;\nforever with one -m). A request's keep_alive overrides it",
    },
    "max-loaded-models": { type: "string", value: "<n>", help: `models loaded at once; the least recently used idle one is\nunloaded to make room (default: ${serverDefaults.maxLoadedModels})` },
    host: { type: "string", value: "<address>", help: `address to bind (default: ${serverDefaults.host}, loopback only)` },
    port: { type: "string", short: "p", value: "<n>", help: `TCP port, 0 for any free one (default: ${serverDefaults.port})` },
    parallel: { type: "string", value: "<n>", help: `requests generating at once, batched on one context (default: ${serverDefaults.parallel})` },
    "max-queue": { type: "string", value: "<n>", help: `requests waiting beyond those; more get 503 + Retry-After\n(default: ${serverDefaults.queuePerSequence} x parallel)` },
    "context-size": {
      type: "string",
      short: "c",
      value: "<n>",
      help: "context tokens for EACH parallel request (default: model's, at most\n4096; with one model, more than it was trained on is capped to that)",
    },
    ...pickOptions("threads"),
    "prompt-lookup": { type: "boolean", help: "n-gram speculative decoding: faster where answers repeat their\nprompt (quoting, code edits); the same output (default: off)" },
    "api-key": { type: "string", value: "<key>", help: "require this key (Authorization: Bearer, or X-Api-Key) on every\nroute but /health; MULLAMA_API_KEY works too and stays out of ps" },
    "cors-origin": { type: "string", multiple: true, value: "<origin>", help: 'let browser pages from this origin call the server ("*" for any);\nrepeatable (default: none)' },
    "body-limit": { type: "string", value: "<bytes>", help: `largest request body and WebSocket message (default: ${serverDefaults.bodyLimit})` },
    "grace-period": {
      type: "string",
      value: "<s>",
      help: `on SIGINT/SIGTERM, seconds running requests get to finish\nbefore they are cancelled (default: ${serverDefaults.gracePeriodMs / 1000})`,
    },
    "resume-window": {
      type: "string",
      value: "<s>",
      help: `seconds a native SSE stream whose client dropped keeps going,\nresumable at GET /generate/<id>; 0 cancels at once (default: ${serverDefaults.resumeWindowMs / 1000})`,
    },
    upstream: { type: "string", multiple: true, value: "<url>", help: "serve the models of this OpenAI-compatible engine too (its base URL,\nsuch as http://gpu-host:8000/v1), routed among the engines that\nlist them; repeatable; without -m, only theirs are served" },
    "upstream-key": { type: "string", value: "<key>", help: "API key sent to every upstream (Authorization: Bearer);\nMULLAMA_UPSTREAM_KEY works too and stays out of ps" },
    "no-ui": { type: "boolean", help: "do not serve the chat page at /" },
    quiet: { type: "boolean", short: "q", help: "do not log requests (errors and generations) to stdout" },
  },
  async run(values) {
    const gracePeriodSeconds = integerFlag("grace-period", values["grace-period"], { min: 0, max: 3600 });
    const resumeWindowSeconds = integerFlag("resume-window", values["resume-window"], { min: 0, max: 3600 });
    const apiKey = values["api-key"] ?? (process.env.MULLAMA_API_KEY || undefined);
    const host = values.host ?? serverDefaults.host;
    const port = integerFlag("port", values.port, { min: 0, max: 65_535 }) ?? serverDefaults.port;
    const given = values.model ?? [];
    const upstreams = values.upstream ?? [];
    const upstreamApiKey = values["upstream-key"] ?? (process.env.MULLAMA_UPSTREAM_KEY || undefined);
    if (given.length > 1 && values["model-name"] !== undefined) throw new InvalidArgumentError("--model-name", "names the model of a single -m; with several, each is named by its store or file name");
    // A reference is pulled here (with --pull); the server is given a path, or the store name for a stored model.
    const resolved = [];
    for (const model of given) resolved.push(await resolveModelOption(model, values.pull));
    const store = new ModelStore();
    // A gateway without -m serves its upstreams' models only.
    const fromStore = resolved.length === 0 && upstreams.length === 0;
    const models = fromStore ? ((await store.list()).length === 0 ? [defaultModelPath] : undefined) : resolved.length > 1 ? resolved.map((model) => model.name ?? model.path) : undefined;
    // The headers of the models named are read now, so a file that is no model fails before anything is bound.
    const details = await Promise.all(resolved.map((model) => readModelDetails(model.path)));
    const single = resolved.length === 1 ? resolved[0] : undefined;
    const requestedContextSize = integerFlag("context-size", values["context-size"]);
    const server = createServer({
      ...definedOnly({
        model: single?.path,
        models,
        store: fromStore ? store.directory : undefined,
        keepAlive: values["keep-alive"],
        maxLoadedModels: integerFlag("max-loaded-models", values["max-loaded-models"], { max: 1000 }),
        modelName: values["model-name"] ?? single?.name,
        host,
        port,
        parallel: integerFlag("parallel", values.parallel, { max: 64 }),
        maxQueue: integerFlag("max-queue", values["max-queue"], { min: 0 }),
        // One model: no more context than it was trained on. Several share the flag, each as given.
        contextSize: single === undefined ? requestedContextSize : cappedContextSize(requestedContextSize, details[0]!.contextLength),
        threads: integerFlag("threads", values.threads),
        promptLookup: values["prompt-lookup"],
        apiKey,
        corsOrigin: values["cors-origin"],
        bodyLimit: integerFlag("body-limit", values["body-limit"], { max: 1024 * 1024 * 1024 }),
        gracePeriodMs: gracePeriodSeconds === undefined ? undefined : gracePeriodSeconds * 1000,
        resumeWindowMs: resumeWindowSeconds === undefined ? undefined : resumeWindowSeconds * 1000,
        upstreams: upstreams.length === 0 ? undefined : upstreams,
        upstreamApiKey,
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
      const failure = listenFailure(error, host, port);
      if (failure === undefined) throw error;
      process.stderr.write(`mullama: ${failure}\n`);
      return 1;
    }
    if (first === undefined) {
      const context = server.context;
      const served = [...(await server.models!.catalog.list()).map((entry) => entry.id), ...(server.upstreams?.modelNames ?? [])];
      const fleet = server.upstreams;
      const healthy = fleet?.upstreams.filter((upstream) => upstream.healthy).length ?? 0;
      const shape = fleet !== undefined ? `gateway to ${healthy} of ${fleet.upstreams.length} upstream(s) healthy, serving: ${served.join(", ") || "no model yet"}` : context !== undefined ? `${context.sequences} parallel x ${context.contextSize} tokens of context` : `${served.length} model(s), each loaded on first use: ${served.join(", ") || "none yet (mullama pull adds one)"}`;
      process.stderr.write(`mullama: serving ${server.address!.url} (${shape}${apiKey === undefined ? "" : ", API key required"}); Ctrl+C stops\n`);
      if (values["no-ui"] !== true) process.stderr.write(`mullama: chat in a browser at ${server.address!.url}/\n`);
    }
    const signal = await stopped;
    process.stderr.write(`mullama: ${signal} received, shutting down (running requests get ${gracePeriodSeconds ?? serverDefaults.gracePeriodMs / 1000} s)\n`);
    await server.close();
    await listening.catch(() => {});
    process.stderr.write("mullama: stopped\n");
    return 0;
  },
});
