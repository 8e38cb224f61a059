/**
 * Ollama-compatible API: `POST /api/generate`, `POST /api/chat` (NDJSON, streaming unless
 * `stream: false`), `GET /api/version`; the model routes (`/api/tags`, `/api/show`,
 * `/api/ps`, `/api/delete`) are in ollamaModelRoutes.ts, `/api/pull` in ollamaPull.ts, and
 * `/api/embed`, `/api/embeddings` in ollamaEmbed.ts.
 * The final object carries `done_reason` and Ollama's counts and durations (nanoseconds).
 * An empty prompt (or no messages) only "loads the model", as Ollama does: the answer is
 * `done_reason: "load"`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { ToolCall } from "../../generation/events.js";
import type { ChatMessage } from "../../model/chatPrompt.js";
import { collectGeneration, streamGeneration, type GenerationCall } from "../generationRun.js";
import { unsupported } from "../httpErrors.js";
import { parseRequestBody } from "../requestBody.js";
import type { GenerationInput } from "../scheduler.js";
import type { LoadedModel, ServerRuntime } from "../serverRuntime.js";
import { UpstreamModel } from "../upstreams/upstreamModel.js";
import { serverVersion } from "../version.js";
import { durations, ollamaStreamFormat, wholeAnswer, type AnswerShapes } from "./ollamaAnswers.js";
import {
  chatRequestSchema,
  generateRequestSchema,
  generationOptions,
  logprobsOption,
  refuseThinking,
  refuseUnsupported,
  type GenerateRequest,
} from "./ollamaSchemas.js";
import { formatJsonSchema, toChatMessages, toolOptions } from "./ollamaTools.js";

const ndjson = "application/x-ndjson";

export function registerOllamaRoutes(app: FastifyInstance, runtime: ServerRuntime): void {
  app.get("/api/version", async () => ({ version: serverVersion }));
  app.post("/api/generate", (request, reply) => generate(runtime, request, reply));
  app.post("/api/chat", (request, reply) => chat(runtime, request, reply));
}

async function generate(runtime: ServerRuntime, request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  const body = parseRequestBody(generateRequestSchema, request.body);
  refuseUnsupported(body);
  refuseThinking(body, "thinking is read on /api/chat, not /api/generate");
  const loaded = await runtime.modelForRequest(reply, body.model, body.keep_alive);
  const prompt = body.prompt ?? "";
  if (prompt === "" && (body.context == null || body.context.length === 0)) return loadOnly(reply, body, { response: "" });
  const { input, tokens, stop } = loaded instanceof UpstreamModel ? upstreamPrompt(body, prompt) : generatePrompt(loaded, body, prompt);
  const options = { ...generationOptions(body.options, stop), ...logprobsOption(body), ...formatJsonSchema(body.format) };
  const call = { scheduler: loaded.scheduler, prompt: input, options, keepAliveIntervalMs: runtime.settings.keepAliveIntervalMs };
  // `context` lets an old-style client continue the conversation by sending it back (token ids: only for a local model).
  const context = (generated: readonly number[]) => (tokens === undefined ? {} : { context: [...tokens, ...generated] });
  return respond(request, reply, call, body.stream !== false, {
    piece: (text) => ({ response: text }),
    final: (result, generated) => ({ response: "", ...context(generated), ...durations(result) }),
    whole: (result, generated) => ({ response: result.text, ...context(generated), ...durations(result) }),
    model: body.model,
  });
}

async function chat(runtime: ServerRuntime, request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  const body = parseRequestBody(chatRequestSchema, request.body);
  refuseUnsupported(body);
  const loaded = await runtime.modelForRequest(reply, body.model, body.keep_alive);
  refuseThinking(body, loaded.chat === undefined ? "thinking is not read from an upstream engine's answers" : loaded.chat.separatesThinking ? undefined : "its chat format does not separate thinking");
  if (body.messages == null || body.messages.length === 0) return loadOnly(reply, body, { message: { role: "assistant", content: "" } });
  // One chat path: the turn goes through context.chat, rendered with the server's chat format.
  // Thinking is on unless `think: false`; it comes in `thinking`, never in `content`.
  const options = { ...generationOptions(body.options), ...logprobsOption(body), ...toolOptions(body.tools), ...formatJsonSchema(body.format), thinking: body.think !== false, renderer: loaded.chat };
  const call = { scheduler: loaded.scheduler, prompt: { messages: toChatMessages(body.messages) }, options, keepAliveIntervalMs: runtime.settings.keepAliveIntervalMs };
  const message = (content: string, calls: readonly ToolCall[] = [], thinking?: string) => ({
    message: {
      role: "assistant",
      content,
      ...(thinking === undefined ? {} : { thinking }),
      ...(calls.length === 0 ? {} : { tool_calls: calls.map((toolCall) => ({ function: { name: toolCall.name, arguments: toolCall.arguments } })) }),
    },
  });
  return respond(request, reply, call, body.stream !== false, {
    piece: (text) => message(text),
    reasoning: (text) => message("", [], text),
    // Each call goes out as soon as it is complete, in a chunk of its own.
    toolCall: (toolCall) => message("", [toolCall]),
    final: (result) => ({ ...message(""), ...durations(result) }),
    whole: (result) => ({ ...message(result.text, result.toolCalls, result.reasoning), ...durations(result) }),
    model: body.model,
  });
}

async function respond(request: FastifyRequest, reply: FastifyReply, call: GenerationCall, stream: boolean, shapes: AnswerShapes): Promise<unknown> {
  if (stream) {
    await streamGeneration(request, reply, call, ndjson, ollamaStreamFormat(shapes));
    return reply;
  }
  const collected = await collectGeneration(request, reply, call);
  if (collected === undefined) return reply;
  return wholeAnswer(shapes, collected.result, collected.tokens);
}

/**
 * Ollama's answer to a request without a prompt: the model is loaded, nothing generated;
 * with `keep_alive: 0` it is unloaded instead (once this response is over).
 */
function loadOnly(reply: FastifyReply, body: { model: string; stream?: boolean | null | undefined; keep_alive?: number | null | undefined }, empty: object): unknown {
  const answer = { model: body.model, created_at: new Date().toISOString(), ...empty, done: true, done_reason: body.keep_alive === 0 ? "unload" : "load" };
  if (body.stream === false) return answer;
  return reply.type(ndjson).send(JSON.stringify(answer) + "\n");
}

/**
 * The prompt as token ids. With `raw`, or for a model without a chat template, the text is
 * used as it is (a system text goes first); otherwise it is the user's turn in the model's
 * template. An earlier answer's `context` goes in front, without a second BOS.
 */
function generatePrompt(loaded: LoadedModel, body: GenerateRequest, prompt: string): { input: GenerationInput; tokens: number[]; stop: string[] } {
  const model = loaded.context.model;
  const continuing = body.context != null && body.context.length > 0;
  const useTemplate = body.raw !== true && loaded.chat.format !== "transcript";
  let tokens: number[];
  let stop: string[] = [];
  if (useTemplate) {
    const messages: ChatMessage[] = [...(body.system ? [{ role: "system" as const, content: body.system }] : []), { role: "user", content: prompt }];
    const rendered = loaded.chat.render(messages);
    tokens = typeof rendered.prompt === "string" ? model.tokenize(rendered.prompt, { addBos: !continuing }) : rendered.prompt;
    if (continuing && tokens[0] === model.bosToken) tokens = tokens.slice(1);
    stop = rendered.stop;
  } else {
    const text = body.system && body.raw !== true ? `${body.system}\n\n${prompt}` : prompt;
    tokens = model.tokenize(text, { addBos: !continuing });
  }
  const all = continuing ? [...body.context!, ...tokens] : tokens;
  return { input: all, tokens: all, stop };
}

/**
 * The prompt for a model on upstream engines, which apply their own templates: with `raw`
 * the text as it is (a completion), otherwise the user's turn as a chat. Their token ids
 * are not known here, so there is no `context` to continue from.
 */
function upstreamPrompt(body: GenerateRequest, prompt: string): { input: GenerationInput; tokens: undefined; stop: string[] } {
  if (body.context != null && body.context.length > 0) throw unsupported("context", "a model served by an upstream engine cannot continue from token ids; send the conversation to /api/chat");
  if (body.raw === true) return { input: prompt, tokens: undefined, stop: [] };
  const messages: ChatMessage[] = [...(body.system ? [{ role: "system" as const, content: body.system }] : []), { role: "user", content: prompt }];
  return { input: { messages }, tokens: undefined, stop: [] };
}
