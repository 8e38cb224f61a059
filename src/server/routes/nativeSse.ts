/**
 * The native SSE API: `POST /generate` answers with Server-Sent Events, `start` (the
 * stream's id), `token` per piece of text, then `done` (stop reason, usage, timings) or
 * `error`; token and final events carry ids that count them from 0 (the format is the
 * library's own, src/streaming/sse.ts). The body is `{prompt, options, model}` (nativeSchemas.ts; `model` is optional).
 * `GET /generate` takes the same in its query string, for `EventSource` (generateQuery.ts).
 *
 * Streams survive a dropped connection (resumableStream.ts): the answer's `Location`
 * (`/generate/<id>`) is where `GET` with `Last-Event-ID` resumes it and `DELETE` cancels it.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { driveStream } from "../../streaming/driveStream.js";
import { formatServerSentEvent, serverSentEventFormat } from "../../streaming/sse.js";
import type { WireFormat } from "../../streaming/transport.js";
import { presentedKeyDigest } from "../auth.js";
import { badRequest, RequestError } from "../httpErrors.js";
import { parseRequestBody } from "../requestBody.js";
import { logStreamEnd } from "../requestLog.js";
import type { ResumableChunk } from "../resumableStream.js";
import type { ServerRuntime } from "../serverRuntime.js";
import { StreamingResponse } from "../streamingResponse.js";
import { generateRequestFromQuery } from "./generateQuery.js";
import { wireGenerationOptionsSchema, wireModelSchema, wirePromptSchema } from "./nativeSchemas.js";

const generateRequestSchema = z.strictObject({
  /** Which model; defaults to the server's first (its only one, usually). */
  model: wireModelSchema.optional(),
  prompt: wirePromptSchema,
  options: wireGenerationOptionsSchema.optional(),
});

export function registerNativeSseRoute(app: FastifyInstance, runtime: ServerRuntime): void {
  const streams = runtime.resumableStreams;
  const generate = async (request: FastifyRequest, reply: FastifyReply) => {
    const body = parseRequestBody(generateRequestSchema, request.method === "GET" ? generateRequestFromQuery(request.query) : request.body);
    // The model is held until the generation ends, which may be after this response: a
    // stream whose client left goes on for its resume window.
    const lease = await runtime.ready().acquire(body.model);
    try {
      const controller = new AbortController();
      const stream = lease.model.scheduler.start(body.prompt, body.options ?? {}, controller);
      const resumable = streams.create(presentedKeyDigest(request.headers));
      reply.header("location", `/generate/${resumable.id}`);
      resumable.attach(StreamingResponse.open(reply, "text/event-stream"), undefined);
      await driveStream(stream, resumableFormat(resumable.id), resumable, {
        controller,
        keepAliveIntervalMs: runtime.settings.keepAliveIntervalMs,
        onEnd: (end) => logStreamEnd(request, end),
      });
    } finally {
      lease.release();
    }
    return reply;
  };
  app.post("/generate", generate);
  // No HEAD twin: a HEAD request must not start a generation.
  app.get("/generate", { exposeHeadRoute: false }, generate);

  app.get<{ Params: { id: string } }>("/generate/:id", { exposeHeadRoute: false }, async (request, reply) => {
    const after = lastEventId(request.headers["last-event-id"]);
    const resumable = streams.find(request.params.id, presentedKeyDigest(request.headers));
    if (after !== undefined && after < resumable.oldestResumableId) {
      throw new RequestError(404, "NOT_FOUND", `The events after ${after} are no longer buffered; the stream can resume after event ${resumable.oldestResumableId} at the earliest`);
    }
    streams.hold(resumable);
    resumable.attach(StreamingResponse.open(reply, "text/event-stream"), after);
    return reply;
  });

  app.delete<{ Params: { id: string } }>("/generate/:id", async (request, reply) => {
    streams.cancel(streams.find(request.params.id, presentedKeyDigest(request.headers)), "it was deleted");
    return reply.code(204).send();
  });
}

/** The native events, each with its id, after a `start` event that names the stream (not buffered: a resume does not repeat it). */
function resumableFormat(streamId: string): WireFormat<ResumableChunk> {
  const events = serverSentEventFormat();
  let eventId = 0;
  const keepAlive = events.keepAlive;
  return {
    opening: { text: formatServerSentEvent({ event: "start", data: JSON.stringify({ id: streamId }) }) },
    ...(keepAlive === undefined ? {} : { keepAlive: { text: keepAlive } }),
    format(part) {
      const text = events.format(part);
      return text === undefined ? undefined : { eventId: eventId++, text };
    },
  };
}

/** `Last-Event-ID` as an event id; undefined when absent or empty (resume from the start). */
function lastEventId(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || value.trim() === "") return undefined;
  if (!/^\d{1,15}$/.test(value.trim())) throw badRequest("Last-Event-ID must be the id of an event of this stream (a number)", "Last-Event-ID");
  return Number(value);
}
