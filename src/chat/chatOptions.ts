/**
 * The options and messages of `context.chat`: validated once here, at the boundary, into
 * the types the rest of the chat path uses.
 */
import { z } from "zod";
import type { ChatTurn } from "../engine/chatTemplate.js";
import { grammarJsonSchema } from "../engine/jsonSchemaSupport.js";
import { InvalidArgumentError } from "../errors.js";
import { ChatPromptRenderer } from "../model/chatPrompt.js";
import type { GenerationOptions } from "../generation/options.js";
import { parseArgument } from "../validation.js";

/** A tool the model may call. */
export interface ChatTool {
  /** What the tool does, for the model. Defaults to none. */
  description?: string;
  /** JSON Schema of the arguments (an object schema). Defaults to an object without properties. */
  parameters?: object;
}

/** One message of a conversation: `system`, `user`, `assistant` (with the tools it called) or `tool` (a call's result, by the call's id). */
export type ChatMessage = ChatTurn;

/** Whether and which tools the model calls: `"auto"` (it decides), `"none"`, `"required"` (one call of any tool) or `{ name }` (one call of that tool). */
export type ToolChoice = "auto" | "none" | "required" | { name: string };

/** Options of `context.chat`: everything `stream` takes, plus tools. */
export interface ChatOptions extends GenerationOptions {
  /** Tools by name. Defaults to none. */
  tools?: Record<string, ChatTool>;
  /**
   * Defaults to `"auto"`. `"required"` and `{ name }` force a valid call with a grammar on
   * any model. With `"auto"` the model decides: calls it writes in its chat template's tool
   * format become tool-call parts; a model without a chat template (the plain transcript)
   * has no tool format, and its reply stays text.
   */
  toolChoice?: ToolChoice;
  /**
   * For models whose chat template separates thinking (Qwen 3, DeepSeek R1 ...): `true`
   * streams the thinking as `reasoning` parts (`result.reasoning`), apart from the text;
   * `false` starts the reply after an empty thought (as Qwen 3's `enable_thinking=false`
   * does), so the model answers at once, and leaves any thinking out of the output. Other
   * models ignore it. Defaults to `true`.
   */
  thinking?: boolean;
  /** How messages become a prompt (a server's renderer with its own template). Defaults to the model's chat template, or the plain transcript for a model without one. */
  renderer?: ChatPromptRenderer;
}

const messageSchema = z.discriminatedUnion("role", [
  z.strictObject({ role: z.enum(["system", "user"]), content: z.string() }),
  z.strictObject({
    role: z.literal("assistant"),
    content: z.string(),
    toolCalls: z.array(z.strictObject({ id: z.string().min(1), name: z.string().min(1), arguments: z.unknown() })).optional(),
  }),
  z.strictObject({ role: z.literal("tool"), toolCallId: z.string().min(1), content: z.string() }),
]);
const messagesSchema = z.array(messageSchema).min(1, "must not be empty");
const toolSchema = z.strictObject({ description: z.string().optional(), parameters: z.record(z.string(), z.unknown()).optional() });
const toolChoiceSchema = z.union([z.enum(["auto", "none", "required"]), z.strictObject({ name: z.string().min(1) })]);

export interface ResolvedChat {
  messages: ChatMessage[];
  tools: Map<string, Required<ChatTool>>;
  toolChoice: ToolChoice;
  thinking: boolean;
  renderer: ChatPromptRenderer | undefined;
  /** The options for the generation itself. */
  generation: GenerationOptions;
}

const emptyParameters = { type: "object", properties: {} };

export function resolveChat(messages: unknown, options: unknown): ResolvedChat {
  const parsedMessages = parseArgument(messagesSchema, messages, "messages") as ChatMessage[];
  const { tools: rawTools, toolChoice: rawChoice, thinking: rawThinking, renderer, ...generation } = (typeof options === "object" && options !== null ? options : {}) as ChatOptions;
  const toolRecord = parseArgument(z.record(z.string().min(1), toolSchema).optional(), rawTools, "options.tools") ?? {};
  const toolChoice = parseArgument(toolChoiceSchema.optional(), rawChoice, "options.toolChoice") ?? "auto";
  const thinking = parseArgument(z.boolean().optional(), rawThinking, "options.thinking") ?? true;
  const tools = new Map<string, Required<ChatTool>>();
  for (const [name, tool] of Object.entries(toolRecord)) {
    const parameters = tool.parameters ?? emptyParameters;
    // Checked now so the error names the tool (the grammar compiler sees them combined).
    grammarJsonSchema(parameters, `options.tools.${name}.parameters`);
    tools.set(name, { description: tool.description ?? "", parameters });
  }
  if (typeof toolChoice === "object" && !tools.has(toolChoice.name)) throw new InvalidArgumentError("options.toolChoice", `no tool is named "${toolChoice.name}"`);
  if (toolChoice === "required" && tools.size === 0) throw new InvalidArgumentError("options.toolChoice", '"required" needs at least one tool');
  checkToolResults(parsedMessages);
  if (renderer !== undefined && !(renderer instanceof ChatPromptRenderer)) throw new InvalidArgumentError("options.renderer", "expected a ChatPromptRenderer");
  return { messages: parsedMessages, tools, toolChoice, thinking, renderer, generation };
}

/** Every tool message answers a call made earlier in the conversation. */
function checkToolResults(messages: readonly ChatMessage[]): void {
  const calls = new Set<string>();
  messages.forEach((message, index) => {
    if (message.role === "assistant") for (const call of message.toolCalls ?? []) calls.add(call.id);
    if (message.role === "tool" && !calls.has(message.toolCallId)) throw new InvalidArgumentError(`messages[${index}].toolCallId`, `no earlier assistant message called a tool with id "${message.toolCallId}"`);
  });
}
