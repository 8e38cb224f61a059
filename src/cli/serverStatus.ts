/**
 * What a running server has loaded, asked over HTTP. `GET /api/ps` (Ollama's list of
 * loaded models, which mullama serves) is asked first; `GET /health` adds mullama's own
 * figures (context, parallel sequences, busy and queued requests). A server without
 * `/api/ps` (llama.cpp's server, an OpenAI-compatible proxy) is described from
 * `/v1/models` and `/health` instead.
 */
import { z } from "zod";
import { CommandFailure } from "./command.js";

/** One loaded model, with what the server told about it (undefined where it did not). */
export interface RunningModel {
  name: string;
  sizeBytes?: number | undefined;
  parameters?: string | undefined;
  quantization?: string | undefined;
  /** Tokens of context per parallel request. */
  contextSize?: number | undefined;
  parallel?: number | undefined;
  busySequences?: number | undefined;
  queuedGenerations?: number | undefined;
  /** When the server unloads it (ISO 8601); far in the future for a model kept while the server runs. */
  expiresAt?: string | undefined;
}

export interface ServerStatus {
  url: string;
  /** `/health`'s status (`ok`, `loading`, `failed`, `shutting_down`), or `ok` for a server without one that answered. */
  status: string;
  models: RunningModel[];
}

const psSchema = z.object({
  models: z.array(
    z.object({
      name: z.string(),
      size: z.number().optional(),
      expires_at: z.string().optional(),
      context_length: z.number().optional(),
      details: z.object({ parameter_size: z.string().optional(), quantization_level: z.string().optional() }).optional(),
    }),
  ),
});

const healthFigures = {
  parallel: z.number().optional(),
  contextSize: z.number().optional(),
  busySequences: z.number().optional(),
  queuedGenerations: z.number().optional(),
};

/** A server of one model has its figures at the top level; one of several lists them per model too. */
const healthSchema = z.object({
  status: z.string(),
  model: z.string().optional(),
  ...healthFigures,
  models: z.array(z.object({ name: z.string(), ...healthFigures })).optional(),
});

const modelListSchema = z.object({ data: z.array(z.object({ id: z.string() })) });

/** Asks the server at `url` (`http://host:port`); `apiKey` goes to every route but `/health`. */
export async function fetchServerStatus(url: string, apiKey: string | undefined): Promise<ServerStatus> {
  const health = await getJson(url, "/health", undefined);
  const ps = await getJson(url, "/api/ps", apiKey);
  const healthBody = health.ok || health.status === 503 ? healthSchema.safeParse(health.body).data : undefined;
  const status = healthBody?.status ?? "ok";
  if (ps.status === 401 || ps.status === 403) throw new CommandFailure(`the server at ${url} wants an API key: give --api-key or set MULLAMA_API_KEY`);
  const listed = ps.ok ? psSchema.safeParse(ps.body).data : undefined;
  let models: RunningModel[];
  if (listed !== undefined) {
    models = listed.models.map((entry) => ({
      name: entry.name,
      sizeBytes: entry.size,
      parameters: entry.details?.parameter_size,
      quantization: entry.details?.quantization_level,
      contextSize: entry.context_length,
      expiresAt: entry.expires_at,
    }));
  } else {
    const list = await getJson(url, "/v1/models", apiKey);
    const ids = list.ok ? modelListSchema.safeParse(list.body).data?.data.map((entry) => entry.id) : undefined;
    if (ids === undefined && healthBody === undefined) throw new CommandFailure(`the server at ${url} answers neither /api/ps, /v1/models nor /health: is it a model server?`);
    models = (ids ?? (healthBody?.model === undefined ? [] : [healthBody.model])).map((name) => ({ name }));
  }
  return { url, status, models: models.map((model) => withHealth(model, healthBody)) };
}

/** Adds `/health`'s figures for a model (Ollama names carry a `:latest` tag that `/health` leaves out). */
function withHealth(model: RunningModel, health: z.infer<typeof healthSchema> | undefined): RunningModel {
  const names = (name: string | undefined) => name !== undefined && (model.name === name || model.name === `${name}:latest`);
  const figures = health?.models?.find((entry) => names(entry.name)) ?? (names(health?.model) ? health : undefined);
  if (figures === undefined) return model;
  return {
    ...model,
    contextSize: model.contextSize ?? figures.contextSize,
    parallel: figures.parallel,
    busySequences: figures.busySequences,
    queuedGenerations: figures.queuedGenerations,
  };
}

async function getJson(url: string, path: string, apiKey: string | undefined): Promise<{ ok: boolean; status: number; body: unknown }> {
  let response: Response;
  try {
    response = await fetch(`${url}${path}`, { headers: apiKey === undefined ? {} : { authorization: `Bearer ${apiKey}` }, signal: AbortSignal.timeout(10_000) });
  } catch (error) {
    const code = (error as { cause?: { code?: unknown } }).cause?.code;
    if (code === "ECONNREFUSED") throw new CommandFailure(`no server answers at ${url} (start one with "mullama serve", or point --host and --port at it)`);
    if ((error as Error).name === "TimeoutError") throw new CommandFailure(`the server at ${url} did not answer ${path} within 10 s`);
    throw new CommandFailure(`cannot reach ${url}: ${typeof code === "string" ? code : (error as Error).message}`);
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { ok: response.ok, status: response.status, body };
}
