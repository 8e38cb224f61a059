/**
 * Ollama's model routes: `GET /api/tags` (every model the server can serve), `GET /api/ps`
 * (the loaded ones, with when each will be unloaded), `POST /api/show` (any of them,
 * loaded or not), `DELETE /api/delete` (removes a model from the store; ollamaPull.ts adds
 * them). A model in use cannot be deleted (409); an idle loaded one is unloaded first.
 */
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { badRequest, RequestError } from "../httpErrors.js";
import { maxDefaultContextSize } from "../../context/Context.js";
import type { LoadedModel } from "../models/loadedModel.js";
import { modelFacts, type ModelFacts } from "../models/modelFacts.js";
import type { ModelStore } from "../../store/ModelStore.js";
import { parseRequestBody } from "../requestBody.js";
import type { ServerRuntime } from "../serverRuntime.js";
import { runningEntry, showBody, tagsEntry, upstreamTagsEntry } from "./ollamaModels.js";
import { showRequestSchema } from "./ollamaSchemas.js";

const deleteRequestSchema = z.strictObject({
  model: z.string().min(1, "must not be empty").optional(),
  /** The field's older name. */
  name: z.string().min(1, "must not be empty").optional(),
});

export function registerOllamaModelRoutes(app: FastifyInstance, runtime: ServerRuntime): void {
  app.get("/api/tags", async () => {
    const entries = await runtime.ready().catalog.list();
    // A file damaged or removed since it was listed is left out rather than failing the whole list.
    const facts = await Promise.all(entries.map((entry) => modelFacts(entry).catch(() => undefined)));
    const local = facts.filter((each) => each !== undefined).map(tagsEntry);
    // A gateway's upstream models: a name, and nothing this side knows about their files.
    const upstream = (runtime.upstreams?.modelNames ?? []).filter((name) => !entries.some((entry) => entry.id === name)).map(upstreamTagsEntry);
    return { models: [...local, ...upstream] };
  });

  app.get("/api/ps", async () => {
    const registry = runtime.ready();
    const models = await Promise.all(registry.loaded.map(async (loaded) => runningEntry(await modelFacts(loaded.entry).catch(() => loadedFacts(loaded)), loaded)));
    return { models };
  });

  app.post("/api/show", async (request) => {
    const body = parseRequestBody(showRequestSchema, request.body);
    const name = body.model ?? body.name;
    if (name === undefined) throw badRequest("Invalid model: the model's name is required", "model");
    const registry = runtime.ready();
    const entry = await registry.entry(name);
    const facts = await modelFacts(entry).catch((error: unknown) => {
      throw new RequestError(500, "MODEL_FAILED", `The model "${entry.id}" cannot be read: ${(error as { reason?: string }).reason ?? "its file is damaged"}`, { param: "model" });
    });
    const loaded = registry.loadedModel(entry.id);
    const { contextSize } = runtime.settings;
    return showBody(facts, loaded?.context.contextSize ?? contextSize ?? Math.min(facts.contextLength || maxDefaultContextSize, maxDefaultContextSize));
  });

  app.delete("/api/delete", async (request, reply) => {
    const body = parseRequestBody(deleteRequestSchema, request.body);
    const name = body.model ?? body.name;
    if (name === undefined) throw badRequest("Invalid model: the model's name is required", "model");
    const registry = runtime.ready();
    const store = servedStore(runtime, "deleted");
    const entry = await registry.entry(name);
    if (entry.stored === undefined) throw new RequestError(400, "INVALID_REQUEST", `The model "${entry.id}" was given to the server by path, not pulled into the store; it cannot be deleted`, { param: "model" });
    const loaded = registry.loadedModel(entry.id);
    if (loaded?.busy) throw new RequestError(409, "MODEL_BUSY", `The model "${entry.id}" is in use; delete it once its requests are done (or stop them first)`, { param: "model" });
    await registry.unload(entry.id, "deleted");
    await store.remove(entry.stored.name);
    return reply.code(200).send();
  });
}

/** The store the server serves, or the 400 that says there is none (a server given models with -m). */
export function servedStore(runtime: ServerRuntime, action: "pulled" | "deleted"): ModelStore {
  const store = runtime.ready().catalog.store;
  if (store === undefined) throw new RequestError(400, "NO_MODEL_STORE", `This server serves no model store, so nothing can be ${action} (start it without -m, or with store: true, to serve the store)`, { param: "model" });
  return store;
}

/** What /api/ps shows of a loaded model whose file can no longer be read (it runs from memory). */
function loadedFacts(loaded: LoadedModel): ModelFacts {
  const { metadata } = loaded.context.model;
  return {
    id: loaded.served.id,
    path: loaded.served.model.path,
    sizeBytes: loaded.served.fileSizeBytes,
    modifiedAt: loaded.served.modifiedAt,
    digest: loaded.served.digest,
    architecture: metadata.architecture,
    parameterCount: metadata.parameterCount,
    quantization: metadata.quantization,
    contextLength: metadata.trainContextSize,
    chatTemplate: metadata.chatTemplate,
    name: metadata.name,
    vocabularySize: metadata.vocabularySize,
  };
}
