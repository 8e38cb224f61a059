/**
 * Ollama's embedding routes. `POST /api/embed`: `input` is a text or an array of texts,
 * answered with `{model, embeddings, total_duration, load_duration, prompt_eval_count}`
 * (durations in nanoseconds); `truncate` (default true) cuts a text longer than the
 * context to its first tokens that fit, `truncate: false` refuses it with a 400. The older
 * `POST /api/embeddings`: one `prompt`, answered with `{embedding}`; a prompt too long is
 * refused. Both take `keep_alive` as the generation routes do; `options` are accepted and
 * change nothing (the context is set by the server's flags). Vectors are normalized.
 */
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { keepAliveSchema } from "../models/keepAlive.js";
import { embedForRequest } from "../embeddingRun.js";
import { parseRequestBody } from "../requestBody.js";
import type { ServerRuntime } from "../serverRuntime.js";
import { ollamaOptionsSchema } from "./ollamaSchemas.js";

const text = z.string({ error: "expected a string" }).min(1, "must not be empty: there is nothing to embed");

const common = {
  model: z.string({ error: "expected the model's name" }).min(1, "must not be empty"),
  /** How long the model stays loaded after this request, in milliseconds once parsed. */
  keep_alive: keepAliveSchema.nullish(),
  options: ollamaOptionsSchema.nullish(),
};

const embedRequestSchema = z.strictObject({
  ...common,
  input: z.union([text, z.array(text).min(1, "must not be empty: there is nothing to embed")], { error: "expected a string or an array of strings" }),
  truncate: z.boolean().nullish(),
  dimensions: z.number().int("expected an integer").positive("must be positive").nullish(),
});

const embeddingsRequestSchema = z.strictObject({ ...common, prompt: text });

const nanoseconds = (milliseconds: number) => Math.round(milliseconds * 1e6);

export function registerOllamaEmbedRoutes(app: FastifyInstance, runtime: ServerRuntime): void {
  app.post("/api/embed", async (request, reply) => {
    const body = parseRequestBody(embedRequestSchema, request.body);
    const answer = await embedForRequest(runtime, reply, { model: body.model, input: body.input, dimensions: body.dimensions, truncate: body.truncate !== false, keepAliveMs: body.keep_alive });
    return {
      model: body.model,
      embeddings: answer.vectors,
      total_duration: nanoseconds(answer.totalDurationMs),
      load_duration: nanoseconds(answer.loadDurationMs),
      prompt_eval_count: answer.promptTokens,
    };
  });

  app.post("/api/embeddings", async (request, reply) => {
    const body = parseRequestBody(embeddingsRequestSchema, request.body);
    const answer = await embedForRequest(runtime, reply, { model: body.model, input: body.prompt, keepAliveMs: body.keep_alive });
    return { embedding: answer.vectors[0] };
  });
}
