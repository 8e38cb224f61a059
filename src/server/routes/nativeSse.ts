/**
 * The native SSE API: `POST /generate` answers with Server-Sent Events, `token` per piece
 * of text, then `done` (stop reason, usage, timings) or `error`, each with an id so a
 * client knows where it is (the format is the library's own, src/streaming/sse.ts). The
 * body is `{prompt, options, model}` (nativeSchemas.ts; `model` is optional). `GET /generate` takes the same in its
 * query string, for `EventSource` (generateQuery.ts).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { serverSentEventFormat } from "../../streaming/sse.js";
import { streamGeneration } from "../generationRun.js";
import { parseRequestBody } from "../requestBody.js";
import type { ServerRuntime } from "../serverRuntime.js";
import { generateRequestFromQuery } from "./generateQuery.js";
import { wireGenerationOptionsSchema, wireModelSchema, wirePromptSchema } from "./nativeSchemas.js";

const generateRequestSchema = z.strictObject({
  /** Which model; defaults to the server's first (its only one, usually). */
  model: wireModelSchema.optional(),
  prompt: wirePromptSchema,
  options: wireGenerationOptionsSchema.optional(),
});

export function registerNativeSseRoute(app: FastifyInstance, runtime: ServerRuntime): void {
  const generate = async (request: FastifyRequest, reply: FastifyReply) => {
    const body = parseRequestBody(generateRequestSchema, request.method === "GET" ? generateRequestFromQuery(request.query) : request.body);
    const { scheduler } = await runtime.modelForRequest(reply, body.model);
    const call = { scheduler, prompt: body.prompt, options: body.options ?? {}, keepAliveIntervalMs: runtime.settings.keepAliveIntervalMs };
    await streamGeneration(request, reply, call, "text/event-stream", serverSentEventFormat());
    return reply;
  };
  app.post("/generate", generate);
  // No HEAD twin: a HEAD request must not start a generation.
  app.get("/generate", { exposeHeadRoute: false }, generate);
}
