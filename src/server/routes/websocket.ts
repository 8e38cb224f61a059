/**
 * `GET /ws`: the WebSocket protocol of src/streaming/websocketMessages.ts. The client sends
 * `{"type":"generate","id","prompt","options","model"}` (`model` optional: the server's
 * default model) and `{"type":"cancel","id"}`; the server
 * answers `token`, then `done` or `error`, per id, so several generations share one
 * connection. A cancel ends its generation within a token with a `done` whose stopReason
 * is "abort"; a closed connection cancels all of its generations.
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { FastifyBaseLogger, FastifyInstance } from "fastify";
import { WebSocketServer, type RawData, type WebSocket } from "ws";
import { z } from "zod";
import { driveStream } from "../../streaming/driveStream.js";
import type { StreamSink } from "../../streaming/transport.js";
import { webSocketErrorMessage, webSocketMessageFormat } from "../../streaming/websocketMessages.js";
import type { ApiKeyCheck } from "../auth.js";
import type { CorsPolicy } from "../cors.js";
import { pathOf, RequestError, toHttpError } from "../httpErrors.js";
import { handshakeError, writeRawHttpError } from "../transportErrors.js";
import { formatPath } from "../requestBody.js";
import { logFailure, logStreamEnd } from "../requestLog.js";
import type { ServerRuntime } from "../serverRuntime.js";
import { wireGenerationOptionsSchema, wireModelSchema, wirePromptSchema } from "./nativeSchemas.js";

/** How often a silent peer is pinged; one that misses a pong is dropped. In milliseconds. */
const heartbeatIntervalMs = 30_000;

const messageId = z.union([z.string().min(1, "must not be empty").max(200, "at most 200 characters"), z.number()]).transform(String);

const clientMessageSchema = z.discriminatedUnion(
  "type",
  [
    z.strictObject({ type: z.literal("generate"), id: messageId, model: wireModelSchema.optional(), prompt: wirePromptSchema, options: wireGenerationOptionsSchema.optional() }),
    z.strictObject({ type: z.literal("cancel"), id: messageId }),
  ],
  { error: 'expected a message of type "generate" or "cancel"' },
);

export interface WebSocketRoute {
  /**
   * Closes every connection (code 1001); call once their generations have ended. Waits
   * (at most `drainMs`) for their last messages (`done`, `error`) to be sent first.
   */
  closeAll(drainMs: number): Promise<void>;
}

export function registerWebSocketRoute(app: FastifyInstance, runtime: ServerRuntime, cors: CorsPolicy, apiKey: ApiKeyCheck | undefined): WebSocketRoute {
  const server = new WebSocketServer({ noServer: true, maxPayload: runtime.settings.bodyLimit });
  /** Each generation's message loop, until its last message is sent. */
  const sending = new Set<Promise<void>>();
  app.get("/ws", async () => {
    throw new RequestError(426, "UPGRADE_REQUIRED", "GET /ws is a WebSocket endpoint: connect with a WebSocket client");
  });
  // Without this listener `ws` answers a bad handshake with a plain-text body of its own.
  server.on("wsClientError", (error: Error, socket: Duplex) => refuseUpgrade(socket, handshakeError(error), runtime));
  app.server.on("upgrade", (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Node takes its own error listener off an upgraded socket; a reset during the
    // handshake must not become an unhandled 'error' (ws adds its own once it takes over).
    socket.on("error", () => socket.destroy());
    const refusal = upgradeRefusal(request, runtime, cors, apiKey);
    if (refusal !== undefined) return refuseUpgrade(socket, refusal, runtime);
    server.handleUpgrade(request, socket, head, (webSocket) => {
      runtime.metrics.requests.increment({ method: "GET", route: "/ws", status: "101" });
      serveConnection(webSocket, runtime, app.log, sending);
    });
  });
  return {
    closeAll: async (drainMs) => {
      // A generation's end frees its slot before its final message is on the wire.
      await Promise.race([Promise.allSettled([...sending]), new Promise((resolve) => setTimeout(resolve, drainMs).unref())]);
      for (const client of server.clients) client.close(1001, "The server is shutting down");
      server.close();
    },
  };
}

function serveConnection(webSocket: WebSocket, runtime: ServerRuntime, log: FastifyBaseLogger, sending: Set<Promise<void>>): void {
  const generations = new Map<string, AbortController>();
  const logTarget = { log, method: "WS", url: "/ws" };
  runtime.webSocketConnections++;
  let alive = true;
  const heartbeat = setInterval(() => {
    if (!alive) return webSocket.terminate();
    alive = false;
    webSocket.ping();
  }, heartbeatIntervalMs);
  heartbeat.unref();
  webSocket.on("pong", () => (alive = true));
  // A protocol violation (a frame over the limit, invalid UTF-8, an unmasked or unknown
  // frame): `ws` has already closed this connection with the matching code (1009, 1007,
  // 1002); without a listener the error would end the whole process.
  webSocket.on("error", (error: Error & { code?: unknown }) => {
    log.warn({ method: "WS", url: "/ws", code: error.code }, `WebSocket connection closed: ${error.message}`);
  });
  webSocket.on("close", () => {
    clearInterval(heartbeat);
    runtime.webSocketConnections--;
    for (const controller of generations.values()) controller.abort(new Error("The WebSocket connection closed"));
  });

  const sink = new WebSocketSink(webSocket);
  const sendError = (id: string | null, error: unknown) => {
    logFailure(logTarget, error);
    void sink.write(webSocketErrorMessage(id, error));
  };

  /** One generation: take its model (held until the generation ends), then stream it. */
  const runGeneration = async (message: Extract<z.output<typeof clientMessageSchema>, { type: "generate" }>, controller: AbortController): Promise<void> => {
    let lease;
    try {
      lease = await runtime.ready().acquire(message.model, undefined);
    } catch (error) {
      return sendError(message.id, error);
    }
    try {
      const stream = lease.model.scheduler.start(message.prompt, message.options ?? {}, controller);
      await driveStream(stream, webSocketMessageFormat(message.id), sink, { controller, onEnd: (end) => logStreamEnd(logTarget, end, { id: message.id }) });
    } catch (error) {
      sendError(message.id, error);
    } finally {
      lease.release();
    }
  };

  webSocket.on("message", (data: RawData, isBinary: boolean) => {
    const parsed = parseClientMessage(data, isBinary);
    if (!parsed.success) return sendError(parsed.id, parsed.error);
    const message = parsed.message;
    if (message.type === "cancel") {
      // Cancelling a generation that already ended is not an error: the two messages crossed.
      generations.get(message.id)?.abort(new Error("Cancelled by the client"));
      return;
    }
    if (generations.has(message.id)) return sendError(message.id, new RequestError(400, "DUPLICATE_ID", `A generation with id "${message.id}" is already running on this connection`));
    const controller = new AbortController();
    // The id is taken now: the model may have to load first, and a cancel may come meanwhile.
    generations.set(message.id, controller);
    const task = runGeneration(message, controller).finally(() => {
      generations.delete(message.id);
      sending.delete(task);
    });
    sending.add(task);
  });
}

/**
 * One connection as a sink of the stream driver, shared by its generations. A write
 * resolves once the socket took the message, which paces each generation to the peer; a
 * closed connection drops writes (its generations are aborted by the close handler).
 */
class WebSocketSink implements StreamSink<string> {
  readonly #webSocket: WebSocket;

  constructor(webSocket: WebSocket) {
    this.#webSocket = webSocket;
  }

  write(text: string): Promise<void> | undefined {
    const webSocket = this.#webSocket;
    if (webSocket.readyState !== webSocket.OPEN) return undefined;
    return new Promise<void>((resolve) => webSocket.send(text, () => resolve()));
  }

  /** One generation ended; the connection goes on. */
  end(): void {}
}

type ParsedMessage = { success: true; message: z.output<typeof clientMessageSchema> } | { success: false; id: string | null; error: RequestError };

function parseClientMessage(data: RawData, isBinary: boolean): ParsedMessage {
  if (isBinary) return { success: false, id: null, error: new RequestError(400, "INVALID_REQUEST", "Messages must be JSON text, not binary") };
  let json: unknown;
  try {
    json = JSON.parse(data.toString());
  } catch (error) {
    return { success: false, id: null, error: new RequestError(400, "INVALID_JSON", `The message is not valid JSON: ${(error as Error).message}`) };
  }
  const parsed = clientMessageSchema.safeParse(json);
  if (parsed.success) return { success: true, message: parsed.data };
  const id = typeof json === "object" && json !== null && "id" in json && (typeof json.id === "string" || typeof json.id === "number") ? String(json.id) : null;
  const issue = parsed.error.issues[0]!;
  const path = issue.code === "unrecognized_keys" ? formatPath([...issue.path, issue.keys[0] ?? ""]) : formatPath(issue.path);
  const message = issue.code === "unrecognized_keys" ? `Unrecognized field: ${path}` : path === "" ? issue.message : `Invalid ${path}: ${issue.message}`;
  return { success: false, id, error: new RequestError(400, "INVALID_REQUEST", message) };
}

/** Why an upgrade is refused (wrong path, foreign origin, no key, model not ready), or undefined. */
function upgradeRefusal(request: IncomingMessage, runtime: ServerRuntime, cors: CorsPolicy, apiKey: ApiKeyCheck | undefined): unknown {
  if (pathOf(request.url ?? "/") !== "/ws") return new RequestError(404, "NOT_FOUND", "WebSocket connections are served on /ws");
  if (!cors.allowsWebSocket(request.headers.origin, request.headers.host)) return new RequestError(403, "ORIGIN_NOT_ALLOWED", "This origin may not open WebSocket connections");
  try {
    apiKey?.verify("/ws", request.headers);
    runtime.ready();
    return undefined;
  } catch (error) {
    return error;
  }
}

/** Answers a refused upgrade with a plain HTTP response in the native error shape. */
function refuseUpgrade(socket: Duplex, error: unknown, runtime: ServerRuntime): void {
  const response = toHttpError(error, "native");
  writeRawHttpError(socket, response);
  runtime.metrics.requests.increment({ method: "GET", route: "/ws", status: String(response.status) });
}
