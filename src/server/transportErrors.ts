/**
 * Errors raised below the routes, before a request reaches Fastify's router or a
 * WebSocket handshake completes: Node's HTTP parser (conflicting lengths, control
 * characters in headers, oversized headers), Fastify's URL decoding and parameter
 * limits, and the WebSocket library's handshake checks. Each is answered in the same
 * protocol shape as any route's error, never with the libraries' own bodies.
 */
import { STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import { RequestError, pathOf, protocolOf, toHttpError, type HttpErrorResponse } from "./httpErrors.js";

/** Writes a complete HTTP/1.1 error response on a raw socket and closes it. */
export function writeRawHttpError(socket: Duplex, response: HttpErrorResponse): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify(response.body);
  const headers = { ...response.headers, "content-type": "application/json", "content-length": String(Buffer.byteLength(body)), connection: "close" };
  const headerLines = Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join("");
  socket.end(`HTTP/1.1 ${response.status} ${STATUS_CODES[response.status] ?? "Error"}\r\n${headerLines}\r\n${body}`);
}

/**
 * The answer to a request Node's HTTP parser refused. The URL is read from the raw
 * request line when it got that far, so `/v1/*` still gets OpenAI's error shape.
 */
export function parserErrorResponse(error: { code?: string; rawPacket?: unknown }): HttpErrorResponse {
  const packet = Buffer.isBuffer(error.rawPacket) ? error.rawPacket : Buffer.alloc(0);
  const requestLine = packet.subarray(0, 2048).toString("latin1").split("\r\n", 1)[0] ?? "";
  const url = requestLine.split(" ")[1] ?? "/";
  return toHttpError(parserError(error.code), protocolOf(pathOf(url)));
}

function parserError(code: string | undefined): RequestError {
  if (code === "HPE_HEADER_OVERFLOW") return new RequestError(431, "INVALID_REQUEST", "The request headers are larger than the server's limit");
  if (code === "ERR_HTTP_REQUEST_TIMEOUT") return new RequestError(408, "INVALID_REQUEST", "The request was not received in time");
  return new RequestError(400, "INVALID_REQUEST", `The request is not valid HTTP (${code ?? "parse error"})`);
}

/** Fastify's own routing errors, reworded so no echo of a huge or binary URL goes back. */
export function routingError(error: Error & { code?: unknown }): unknown {
  if (error.code === "FST_ERR_BAD_URL") return new RequestError(400, "INVALID_REQUEST", "The URL is not valid: it has a malformed percent-encoding");
  if (error.code === "FST_ERR_MAX_PARAM_LENGTH") return new RequestError(414, "INVALID_REQUEST", "A segment of the URL is longer than the server's limit");
  return error;
}

/** A WebSocket handshake the `ws` library refused, as a request error (RFC 6455 section 4.2.2). */
export function handshakeError(error: Error): RequestError {
  const message = `Invalid WebSocket handshake: ${error.message}`;
  if (/method/i.test(error.message)) return new RequestError(405, "INVALID_REQUEST", message);
  if (/Version/.test(error.message)) return new RequestError(426, "UPGRADE_REQUIRED", message, { headers: { "sec-websocket-version": "13, 8" } });
  return new RequestError(400, "INVALID_REQUEST", message);
}
