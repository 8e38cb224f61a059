/**
 * The native streaming API: `POST /generate` answers with Server-Sent Events, `token`
 * per piece of text, then `done` (stop reason, usage, timings) or `error`, each with an
 * id so a client knows where it is. The body is `{prompt, options}`: text or token ids,
 * and the library's own generation options (camelCase, the same names as `Context.stream`).
 * `GET /generate` takes the same in its query string, for `EventSource` (generateQuery.ts).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { generationOptionsSchema } from "../../generation/options.js";
import { formatServerSentComment, tokenStreamToServerSentEvents } from "../../streaming/sse.js";
import { toHttpError } from "../httpErrors.js";
import { logFailure, logGeneration } from "../requestLog.js";
import { parseRequestBody } from "../requestBody.js";
import type { ServerRuntime } from "../serverRuntime.js";
import { StreamingResponse } from "../streamingResponse.js";
import { generateRequestFromQuery } from "./generateQuery.js";

/** The generation options a client can send as JSON (no signal or observer; waiting is the server's business). */
export const wireGenerationOptionsSchema = generationOptionsSchema.omit({ signal: true, wait: true, observer: true });

/** A prompt as text or token ids (the context range-checks ids against the vocabulary). */
export const wirePromptSchema = z.union([z.string(), z.array(z.number().int("token ids are integers")).min(1, "must not be empty")], {
  error: "expected text or an array of token ids",
});

const generateRequestSchema = z.strictObject({
  prompt: wirePromptSchema,
  options: wireGenerationOptionsSchema.optional(),
});

export function registerNativeRoutes(app: FastifyInstance, runtime: ServerRuntime): void {
  const generate = async (request: FastifyRequest, reply: FastifyReply) => {
    const body = parseRequestBody(generateRequestSchema, request.method === "GET" ? generateRequestFromQuery(request.query) : request.body);
    const { scheduler } = runtime.ready();
    const response = new StreamingResponse(reply, {
      contentType: "text/event-stream",
      keepAliveText: formatServerSentComment("keep-alive"),
      keepAliveIntervalMs: runtime.settings.keepAliveIntervalMs,
    });
    const stream = scheduler.start(body.prompt, body.options ?? {}, response.signal);
    response.open();
    try {
      for await (const event of tokenStreamToServerSentEvents(stream)) await response.write(event);
    } finally {
      response.end();
    }
    // The adapter already sent the `error` event; the log gets the failure once, here.
    await stream.result.then(
      (result) => logGeneration(request, result),
      (error: unknown) => logFailure(request, toHttpError(error, "native"), error),
    );
    return reply;
  };
  app.post("/generate", generate);
  // No HEAD twin: a HEAD request must not start a generation.
  app.get("/generate", { exposeHeadRoute: false }, generate);
}
