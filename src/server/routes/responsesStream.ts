/**
 * The Responses API's stream: SSE events named by their `type`, each with a
 * `sequence_number` counting from 0.
 * - `response.created` and `response.in_progress` as soon as the request is accepted;
 * - text: `response.output_item.added` (a message), `response.content_part.added`, then
 *   `response.output_text.delta` per piece; the message is closed (`output_text.done`,
 *   `content_part.done`, `output_item.done`) when a tool call begins or the turn ends;
 * - a tool call: `response.output_item.added` (a function_call with its name), then
 *   `response.function_call_arguments.delta` per piece as generated, then
 *   `response.function_call_arguments.done` and `response.output_item.done`;
 * - the end: `response.completed`, or `response.incomplete` when `max_output_tokens` cut
 *   it, carrying the whole response (output and usage);
 * - a failure, or a generation the server cut short (shutdown): an `error` event and
 *   nothing after it. Its fields are OpenAI's (`code`, `message`, `param`), repeated
 *   under `error` as some clients (the AI SDK) read them there.
 */
import { describeError } from "../../errorPolicy.js";
import type { GenerationResult } from "../../generation/events.js";
import type { WireFormat } from "../../streaming/transport.js";
import { formatServerSentComment, formatServerSentEvent } from "../../streaming/sse.js";
import { cancellation, errorBody } from "../httpErrors.js";
import { functionCallItem, messageItem, newItemId, outputTextPart, responseObject, responseStatus, type ItemStatus, type ResponseEcho } from "./responsesAnswers.js";

interface OpenMessage {
  id: string;
  outputIndex: number;
  text: string;
}

interface OpenCall {
  id: string;
  outputIndex: number;
  callId: string;
  name: string;
  argumentsText: string;
}

/** The wire format of one streamed response; make one per request. */
export function responsesStreamFormat(echo: ResponseEcho): WireFormat<string> {
  let sequence = 0;
  /** Output items as they are complete, by output index. */
  const output: unknown[] = [];
  let message: OpenMessage | undefined;
  const calls = new Map<string, OpenCall>();

  const event = (type: string, fields: Record<string, unknown>) => formatServerSentEvent({ event: type, data: JSON.stringify({ type, ...fields, sequence_number: sequence++ }) });

  const openMessage = (): OpenMessage => {
    const opened = { id: newItemId("msg"), outputIndex: output.length, text: "" };
    output.push(undefined);
    message = opened;
    return opened;
  };
  const messageOpening = (opened: OpenMessage) =>
    event("response.output_item.added", { output_index: opened.outputIndex, item: { ...messageItem(opened.id, "", "in_progress"), content: [] } }) +
    event("response.content_part.added", { item_id: opened.id, output_index: opened.outputIndex, content_index: 0, part: outputTextPart("") });
  const closeMessage = (status: ItemStatus): string => {
    if (message === undefined) return "";
    const { id, outputIndex, text } = message;
    message = undefined;
    const item = messageItem(id, text, status);
    output[outputIndex] = item;
    return (
      event("response.output_text.done", { item_id: id, output_index: outputIndex, content_index: 0, text, logprobs: [] }) +
      event("response.content_part.done", { item_id: id, output_index: outputIndex, content_index: 0, part: outputTextPart(text) }) +
      event("response.output_item.done", { output_index: outputIndex, item })
    );
  };
  const closeCall = (call: OpenCall, status: ItemStatus): string => {
    calls.delete(call.callId);
    const item = functionCallItem(call.id, call.callId, call.name, call.argumentsText, status);
    output[call.outputIndex] = item;
    return event("response.output_item.done", { output_index: call.outputIndex, item });
  };
  const failure = (error: unknown) => {
    const body = errorBody(describeError(error), "openai") as { error: Record<string, unknown> };
    const { code, message: text, param } = body.error;
    return event("error", { code, message: text, param, error: body.error });
  };
  const finish = (result: GenerationResult): string => {
    const status = responseStatus(result.stopReason);
    let out = closeMessage(status);
    for (const call of calls.values()) out += closeCall(call, "incomplete");
    // An answer with no output at all still has its (empty) message, as the whole answer does.
    if (output.length === 0) out += messageOpening(openMessage()) + closeMessage(status);
    const response = responseObject(echo, status, output, result);
    return out + event(status === "completed" ? "response.completed" : "response.incomplete", { response });
  };

  const inProgress = responseObject(echo, "in_progress", []);
  return {
    opening: event("response.created", { response: inProgress }) + event("response.in_progress", { response: inProgress }),
    keepAlive: formatServerSentComment("keep-alive"),
    format(part) {
      switch (part.type) {
        case "text": {
          if (part.text === "") return undefined;
          const opening = message === undefined ? messageOpening(openMessage()) : "";
          const current = message!;
          current.text += part.text;
          return opening + event("response.output_text.delta", { item_id: current.id, output_index: current.outputIndex, content_index: 0, delta: part.text, logprobs: [] });
        }
        case "tool-call-start": {
          const closing = closeMessage("completed");
          const call = { id: newItemId("fc"), outputIndex: output.length, callId: part.id, name: part.name, argumentsText: "" };
          output.push(undefined);
          calls.set(part.id, call);
          return closing + event("response.output_item.added", { output_index: call.outputIndex, item: functionCallItem(call.id, call.callId, call.name, "", "in_progress") });
        }
        case "tool-call-delta": {
          const call = calls.get(part.id);
          if (call === undefined || part.argumentsDelta === "") return undefined;
          call.argumentsText += part.argumentsDelta;
          return event("response.function_call_arguments.delta", { item_id: call.id, output_index: call.outputIndex, delta: part.argumentsDelta });
        }
        case "tool-call": {
          const call = calls.get(part.id);
          if (call === undefined) return undefined;
          call.argumentsText = part.argumentsText;
          return event("response.function_call_arguments.done", { item_id: call.id, output_index: call.outputIndex, name: call.name, arguments: part.argumentsText }) + closeCall(call, "completed");
        }
        case "finish":
          return part.result.stopReason === "abort" ? failure(cancellation(part.abortReason)) : finish(part.result);
        case "error":
          return failure(part.error);
      }
    },
  };
}
