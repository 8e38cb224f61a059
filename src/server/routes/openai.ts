/**
 * OpenAI-compatible API: `POST /v1/chat/completions`, `POST /v1/completions`,
 * `GET /v1/models`. Streams are SSE in OpenAI's exact chunk format (openaiAnswers.ts).
 * `POST /v1/embeddings` is in embeddings.ts.
 */
import { randomUUID } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { GenerationOptions } from "../../generation/options.js";
import type { ChatMessage } from "../../model/chatPrompt.js";
import { collectGeneration, collectGenerations, streamGeneration, streamGenerations, type GenerationCall } from "../generationRun.js";
import { badRequest, unsupported } from "../httpErrors.js";
import { parseRequestBody } from "../requestBody.js";
import type { CatalogEntry } from "../models/modelCatalog.js";
import type { ServerRuntime, ServingModel } from "../serverRuntime.js";
import { choicesBody, completionBody, openAiChoicesFormat, openAiStreamFormat, type AnswerIdentity, type CompletionKind } from "./openaiAnswers.js";
import { assistantToolCalls, toolOptions } from "./openaiTools.js";
import {
  chatCompletionRequestSchema,
  completionRequestSchema,
  refuseUnsupported,
  type ChatCompletionRequest,
  type ChatRequestMessage,
  type CompletionRequest,
} from "./openaiSchemas.js";

export function registerOpenAiRoutes(app: FastifyInstance, runtime: ServerRuntime): void {
  app.get("/v1/models", async () => {
    const registry = runtime.ready();
    const local = (await registry.catalog.list()).map(modelObject);
    // A gateway lists its upstreams' models too; a local model of the same name is the one served.
    const upstream = (runtime.upstreams?.modelNames ?? []).filter((name) => !local.some((model) => model.id === name)).map(upstreamModelObject);
    return { object: "list", data: [...local, ...upstream] };
  });
  app.get<{ Params: { model: string } }>("/v1/models/:model", async (request) => {
    const registry = runtime.ready();
    const upstream = await registry.upstreamModel(request.params.model);
    return upstream === undefined ? modelObject(await registry.entry(request.params.model)) : upstreamModelObject(upstream.served.id);
  });
  app.post("/v1/chat/completions", (request, reply) => chatCompletion(runtime, request, reply));
  app.post("/v1/completions", (request, reply) => completion(runtime, request, reply));
}

async function chatCompletion(runtime: ServerRuntime, request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  const body = parseRequestBody(chatCompletionRequestSchema, request.body);
  refuseUnsupported(body, "chat");
  const loaded = await runtime.modelForRequest(reply, body.model);
  // One chat path: the turn goes through context.chat, rendered with the server's chat format.
  const logprobs = body.logprobs === true ? (body.top_logprobs ?? 0) : undefined;
  const options = { ...generationOptions(body, body.max_completion_tokens ?? body.max_tokens, logprobs), ...toolOptions(body), renderer: loaded.chat };
  const prompt = { messages: toChatMessages(body.messages) };
  return respond(request, reply, loaded, { scheduler: loaded.scheduler, prompt, options, keepAliveIntervalMs: runtime.settings.keepAliveIntervalMs }, body, "chat");
}

async function completion(runtime: ServerRuntime, request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  const body = parseRequestBody(completionRequestSchema, request.body);
  refuseUnsupported(body, "completion");
  const loaded = await runtime.modelForRequest(reply, body.model);
  // OpenAI's default for the legacy completions API is 16 tokens.
  const options = { ...generationOptions(body, body.max_tokens ?? 16, body.logprobs ?? undefined), ...toolOptions({ response_format: body.response_format }) };
  return respond(request, reply, loaded, { scheduler: loaded.scheduler, prompt: completionPrompt(body.prompt), options, keepAliveIntervalMs: runtime.settings.keepAliveIntervalMs }, body, "completion");
}

async function respond(request: FastifyRequest, reply: FastifyReply, loaded: ServingModel, generation: GenerationCall, body: ChatCompletionRequest | CompletionRequest, kind: CompletionKind): Promise<unknown> {
  // `user` identifies the caller's end user; it goes to the log, nowhere else.
  const call = body.user ? { ...generation, logFields: { user: body.user } } : generation;
  const identity = { id: `${kind === "chat" ? "chatcmpl" : "cmpl"}-${randomUUID().replaceAll("-", "")}`, created: Math.floor(Date.now() / 1000), model: body.model };
  const count = body.n ?? 1;
  if (count > 1) return respondWithChoices(request, reply, loaded, choiceCalls(call, count, loaded.scheduler.sequences), body, kind, identity);
  if (body.stream !== true) {
    const collected = await collectGeneration(request, reply, call);
    if (collected === undefined) return reply;
    return completionBody(kind, identity, collected.result);
  }
  const includeUsage = body.stream_options?.include_usage === true;
  await streamGeneration(request, reply, call, "text/event-stream", openAiStreamFormat(kind, identity, includeUsage, loaded.served));
  return reply;
}

/** `n` choices: parallel generations of one prompt, each on a sequence of its own. */
async function respondWithChoices(request: FastifyRequest, reply: FastifyReply, loaded: ServingModel, calls: GenerationCall[], body: ChatCompletionRequest | CompletionRequest, kind: CompletionKind, identity: AnswerIdentity): Promise<unknown> {
  if (body.stream !== true) {
    const collected = await collectGenerations(request, reply, calls);
    if (collected === undefined) return reply;
    return choicesBody(kind, identity, collected.map((choice) => choice.result));
  }
  const includeUsage = body.stream_options?.include_usage === true;
  await streamGenerations(request, reply, calls, "text/event-stream", openAiChoicesFormat(kind, identity, includeUsage, loaded.served, calls.length));
  return reply;
}

/**
 * One call per choice. Choices run at once, so there can be no more than the context's
 * sequences (more would wait for each other and hold the request). With a seed, choice i
 * samples with seed + i: the answer is reproducible and its choices still differ.
 */
function choiceCalls(call: GenerationCall, count: number, sequences: number): GenerationCall[] {
  if (count > sequences) throw badRequest(`Invalid n: this model runs at most ${sequences} generations at once (its parallel sequences); ask for at most ${sequences} choices`, "n");
  const seed = call.options.seed;
  return Array.from({ length: count }, (_, index) => (seed === undefined ? call : { ...call, options: { ...call.options, seed: (seed + index) % 0x1_0000_0000 } }));
}

function modelObject(entry: CatalogEntry) {
  return { id: entry.id, object: "model", created: Math.floor(entry.modifiedAt.getTime() / 1000), owned_by: "mullama" };
}

function upstreamModelObject(name: string) {
  return { id: name, object: "model", created: 0, owned_by: "upstream" };
}

function generationOptions(body: ChatCompletionRequest | CompletionRequest, maxTokens: number | null | undefined, logprobs: number | undefined): GenerationOptions {
  const stop = body.stop == null ? [] : typeof body.stop === "string" ? [body.stop] : body.stop;
  return {
    ...(maxTokens == null ? {} : { maxTokens }),
    ...(body.temperature == null ? {} : { temperature: body.temperature }),
    ...(body.top_p == null ? {} : { topP: body.top_p }),
    ...(body.top_k == null ? {} : { topK: body.top_k }),
    ...(body.min_p == null ? {} : { minP: body.min_p }),
    ...(body.repeat_penalty == null ? {} : { repeatPenalty: body.repeat_penalty }),
    ...(body.presence_penalty == null ? {} : { presencePenalty: body.presence_penalty }),
    ...(body.frequency_penalty == null ? {} : { frequencyPenalty: body.frequency_penalty }),
    ...(body.logit_bias == null ? {} : { logitBias: body.logit_bias }),
    ...(logprobs === undefined ? {} : { logprobs }),
    ...(body.seed == null ? {} : { seed: body.seed }),
    ...(stop.length === 0 ? {} : { stop }),
  };
}

/** OpenAI messages as chat messages: `developer` is a system message; each `tool` message answers a call made earlier. */
function toChatMessages(messages: readonly ChatRequestMessage[]): ChatMessage[] {
  const calls = new Set<string>();
  return messages.map((message, index): ChatMessage => {
    if (message.role === "function") throw unsupported(`messages[${index}].role`, "function messages are deprecated by OpenAI and not supported; send tool messages");
    const content = messageText(message.content, index);
    if (message.role === "tool") {
      if (message.tool_call_id === undefined) throw badRequest(`Invalid messages[${index}].tool_call_id: a tool message needs the id of the call it answers`, `messages[${index}].tool_call_id`);
      if (!calls.has(message.tool_call_id)) throw badRequest(`Invalid messages[${index}].tool_call_id: no earlier assistant message called a tool with id "${message.tool_call_id}"`, `messages[${index}].tool_call_id`);
      return { role: "tool", toolCallId: message.tool_call_id, content };
    }
    if (message.tool_calls != null && message.tool_calls.length > 0) {
      if (message.role !== "assistant") throw badRequest(`Invalid messages[${index}].tool_calls: only assistant messages call tools`, `messages[${index}].tool_calls`);
      const toolCalls = assistantToolCalls(message.tool_calls, index);
      for (const call of toolCalls) calls.add(call.id);
      return { role: "assistant", content, toolCalls };
    }
    return { role: message.role === "developer" ? "system" : message.role, content };
  });
}

function messageText(content: ChatRequestMessage["content"], index: number): string {
  if (content == null) return "";
  if (typeof content === "string") return content;
  return content
    .map((part, partIndex) => {
      if (part.type !== "text" || typeof part.text !== "string") throw unsupported(`messages[${index}].content[${partIndex}]`, `content parts of type "${part.type}" are not supported; send text`);
      return part.text;
    })
    .join("");
}

/** One prompt: text or token ids (range-checked by the context). Batches of prompts would need n > 1 choices. */
function completionPrompt(prompt: CompletionRequest["prompt"]): string | number[] {
  if (typeof prompt === "string") return prompt;
  if (prompt.length === 1 && (typeof prompt[0] === "string" || Array.isArray(prompt[0]))) return prompt[0];
  if (prompt.length > 0 && prompt.every((item) => typeof item === "number")) return prompt as number[];
  if (prompt.length === 0) throw unsupported("prompt", "the prompt must not be empty");
  throw unsupported("prompt", "several prompts in one request are not supported; send one request per prompt");
}
