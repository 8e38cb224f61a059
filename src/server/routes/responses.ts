/**
 * `POST /v1/responses`: OpenAI's Responses API, stateless. The request becomes one chat
 * turn on the same path as `/v1/chat/completions` (context.chat with the server's chat
 * format, tools and schemas as grammars); the answer is a `response` object
 * (responsesAnswers.ts) or its event stream (responsesStream.ts). Nothing is stored:
 * what needs stored state is refused by name (responsesSchemas.ts).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { ChatOptions } from "../../chat/chatOptions.js";
import { collectGeneration, streamGeneration } from "../generationRun.js";
import { parseRequestBody } from "../requestBody.js";
import type { ServerRuntime } from "../serverRuntime.js";
import { completedResponse, responseEcho } from "./responsesAnswers.js";
import { responseChatOptions, responseMessages } from "./responsesInput.js";
import { refuseUnsupportedResponseFields, responseRequestSchema, type ResponseRequest } from "./responsesSchemas.js";
import { responsesStreamFormat } from "./responsesStream.js";

export function registerResponsesRoute(app: FastifyInstance, runtime: ServerRuntime): void {
  app.post("/v1/responses", (request, reply) => createResponse(runtime, request, reply));
}

async function createResponse(runtime: ServerRuntime, request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  const body = parseRequestBody(responseRequestSchema, request.body);
  refuseUnsupportedResponseFields(body);
  // Checked before a model is loaded for it: a bad request costs nothing.
  const prompt = { messages: responseMessages(body) };
  const chatOptions = responseChatOptions(body);
  const loaded = await runtime.modelForRequest(reply, body.model);
  const options: ChatOptions = { ...sampling(body), ...chatOptions, renderer: loaded.chat };
  const call = { scheduler: loaded.scheduler, prompt, options, keepAliveIntervalMs: runtime.settings.keepAliveIntervalMs, ...(body.user ? { logFields: { user: body.user } } : {}) };
  const echo = responseEcho(body);
  if (body.stream !== true) {
    const collected = await collectGeneration(request, reply, call);
    return collected === undefined ? reply : completedResponse(echo, collected.result);
  }
  await streamGeneration(request, reply, call, "text/event-stream", responsesStreamFormat(echo));
  return reply;
}

function sampling(body: ResponseRequest): ChatOptions {
  return {
    ...(body.max_output_tokens == null ? {} : { maxTokens: body.max_output_tokens }),
    ...(body.temperature == null ? {} : { temperature: body.temperature }),
    ...(body.top_p == null ? {} : { topP: body.top_p }),
  };
}
