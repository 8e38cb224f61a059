/**
 * Ollama's structured output and tool fields, as `context.chat` options: `format`
 * (`"json"` or a JSON Schema), `tools`, assistant `tool_calls` (arguments as an object,
 * no ids) and `tool` results (by `tool_name`, or in order) in the history. Ollama's calls
 * have no ids, so the history's calls get ids here and each tool message answers the
 * earliest call not answered yet (of its `tool_name`, when it gives one).
 */
import { z } from "zod";
import type { ChatMessage, ChatOptions, ChatTool } from "../../chat/chatOptions.js";
import { grammarJsonSchema } from "../../engine/jsonSchemaSupport.js";
import { badRequest, unsupported } from "../httpErrors.js";

export const formatSchema = z.union([z.literal(["json", ""], { error: 'expected "json" or a JSON Schema object' }), z.record(z.string(), z.unknown())]);

export const toolsSchema = z.array(
  z.looseObject({
    type: z.literal("function", { error: 'only "function" tools are supported' }),
    function: z.looseObject({ name: z.string().min(1, "must not be empty"), description: z.string().nullish(), parameters: z.record(z.string(), z.unknown()).nullish() }),
  }),
);

export const messageToolCallsSchema = z.array(z.looseObject({ function: z.looseObject({ name: z.string().min(1, "must not be empty"), arguments: z.record(z.string(), z.unknown()) }) }));

/** A message of Ollama's chat, as its schema types it. */
export interface OllamaMessage {
  role: "system" | "user" | "assistant" | "tool";
  content: string;
  images?: unknown;
  tool_calls?: z.output<typeof messageToolCallsSchema> | null | undefined;
  tool_name?: string | null | undefined;
}

/** `format` as a JSON Schema: `"json"` asks for some JSON object; an empty string for none. */
export function formatJsonSchema(format: z.output<typeof formatSchema> | null | undefined): Pick<ChatOptions, "jsonSchema"> {
  if (format == null || format === "") return {};
  if (format === "json") return { jsonSchema: { type: "object" } };
  grammarJsonSchema(format, "format");
  return { jsonSchema: format };
}

/** The request's tools as chat options: the model decides whether to call them, as with Ollama. */
export function toolOptions(tools: z.output<typeof toolsSchema> | null | undefined): Pick<ChatOptions, "tools"> {
  if (tools == null || tools.length === 0) return {};
  const byName: Record<string, ChatTool> = {};
  tools.forEach(({ function: tool }, index) => {
    if (tool.name in byName) throw badRequest(`Invalid tools[${index}].function.name: "${tool.name}" is given twice`, `tools[${index}].function.name`);
    if (tool.parameters != null) grammarJsonSchema(tool.parameters, `tools[${index}].function.parameters`);
    byName[tool.name] = { ...(tool.description == null ? {} : { description: tool.description }), ...(tool.parameters == null ? {} : { parameters: tool.parameters }) };
  });
  return { tools: byName };
}

/** Ollama messages as chat messages, the history's calls given ids and their results matched to them. */
export function toChatMessages(messages: readonly OllamaMessage[]): ChatMessage[] {
  const unanswered: { id: string; name: string }[] = [];
  return messages.map((message, index): ChatMessage => {
    if (Array.isArray(message.images) && message.images.length > 0) throw unsupported(`messages[${index}].images`, "images are not supported");
    const calls = message.tool_calls ?? [];
    if (message.role === "tool") {
      const answered = unanswered.findIndex((call) => message.tool_name == null || call.name === message.tool_name);
      if (answered === -1) throw badRequest(`Invalid messages[${index}]: no earlier assistant message called ${message.tool_name == null ? "a tool" : `"${message.tool_name}"`} that is not answered yet`, `messages[${index}]`);
      const [call] = unanswered.splice(answered, 1);
      return { role: "tool", toolCallId: call!.id, content: message.content };
    }
    if (calls.length === 0) return { role: message.role, content: message.content };
    if (message.role !== "assistant") throw badRequest(`Invalid messages[${index}].tool_calls: only assistant messages call tools`, `messages[${index}].tool_calls`);
    const toolCalls = calls.map((call, callIndex) => ({ id: `call_${index}_${callIndex}`, name: call.function.name, arguments: call.function.arguments }));
    unanswered.push(...toolCalls);
    return { role: "assistant", content: message.content, toolCalls };
  });
}
