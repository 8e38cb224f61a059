/**
 * A Responses API request as a chat turn: `instructions` and the `input` items as chat
 * messages, `tools`, `tool_choice` and `text.format` as `context.chat` options. Each item
 * is checked here against its own field names, so a 400 names what the client sent
 * (`input[2].call_id`, `tools[0].parameters`, `text.format.schema`).
 */
import { z } from "zod";
import type { ChatMessage, ChatOptions, ChatTool, ToolChoice } from "../../chat/chatOptions.js";
import { grammarJsonSchema } from "../../engine/jsonSchemaSupport.js";
import { badRequest, unsupported } from "../httpErrors.js";
import { formatPath } from "../requestBody.js";
import { functionToolSchema, type ResponseRequest } from "./responsesSchemas.js";

const contentPart = z.looseObject({ type: z.string(), text: z.string().optional() });
const messageItem = z.looseObject({
  role: z.enum(["system", "developer", "user", "assistant"], { error: "expected system, developer, user or assistant" }),
  content: z.union([z.string(), z.array(contentPart)]),
});
const functionCallItem = z.looseObject({ call_id: z.string().min(1, "must not be empty"), name: z.string().min(1, "must not be empty"), arguments: z.string() });
const functionCallOutputItem = z.looseObject({ call_id: z.string().min(1, "must not be empty"), output: z.union([z.string(), z.array(contentPart)]) });
const anyItem = z.looseObject({ type: z.string().optional() }, { error: "expected an input item (an object)" });

/** `json_object` asks for some JSON object: any object at all. */
const anyJsonObject = { type: "object" };

/** `instructions` and `input` as chat messages. */
export function responseMessages(body: Pick<ResponseRequest, "instructions" | "input">): ChatMessage[] {
  const messages: ChatMessage[] = body.instructions == null || body.instructions === "" ? [] : [{ role: "system", content: body.instructions }];
  if (typeof body.input === "string") return [...messages, { role: "user", content: body.input }];
  const calls = new Set<string>();
  body.input.forEach((raw, index) => {
    const where = `input[${index}]`;
    const item = parseItem(anyItem, raw, where);
    // A message may leave out its type (OpenAI's "easy" input messages).
    const type = item.type ?? "message";
    if (type === "message") {
      const message = parseItem(messageItem, item, where);
      messages.push({ role: message.role === "developer" ? "system" : message.role, content: itemText(message.content, `${where}.content`) });
    } else if (type === "function_call") {
      const call = parseItem(functionCallItem, item, where);
      const toolCall = { id: call.call_id, name: call.name, arguments: parseArguments(call.arguments, `${where}.arguments`) };
      calls.add(call.call_id);
      // Calls made in one turn are one assistant message, after the text the turn said.
      const last = messages.at(-1);
      if (last?.role === "assistant") last.toolCalls = [...(last.toolCalls ?? []), toolCall];
      else messages.push({ role: "assistant", content: "", toolCalls: [toolCall] });
    } else if (type === "function_call_output") {
      const output = parseItem(functionCallOutputItem, item, where);
      if (!calls.has(output.call_id)) throw badRequest(`Invalid ${where}.call_id: no earlier function_call item has the call_id "${output.call_id}"`, `${where}.call_id`);
      messages.push({ role: "tool", toolCallId: output.call_id, content: itemText(output.output, `${where}.output`) });
    } else if (type === "item_reference") {
      throw unsupported(`${where}.type`, "item_reference refers to a stored item; this server stores nothing: send the item itself (with the AI SDK: providerOptions.openai.store = false)");
    } else if (type !== "reasoning") {
      // Reasoning items come back from OpenAI's reasoning models; the models here have none to resume.
      throw unsupported(`${where}.type`, `input items of type "${type}" are not supported; send message, function_call and function_call_output items`);
    }
  });
  return messages;
}

/** The request's tools, tool choice and text format as chat options. */
export function responseChatOptions(body: Pick<ResponseRequest, "tools" | "tool_choice" | "text">): Pick<ChatOptions, "tools" | "toolChoice" | "jsonSchema"> {
  const tools: Record<string, ChatTool> = {};
  (body.tools ?? []).forEach((raw, index) => {
    if (raw.type !== "function") throw unsupported(`tools[${index}].type`, `built-in tools ("${raw.type}") are not available on this server; give function tools`);
    const tool = parseItem(functionToolSchema, raw, `tools[${index}]`);
    if (tool.name in tools) throw badRequest(`Invalid tools[${index}].name: "${tool.name}" is given twice`, `tools[${index}].name`);
    const parameters = tool.parameters ?? undefined;
    if (parameters !== undefined) grammarJsonSchema(parameters, `tools[${index}].parameters`);
    tools[tool.name] = { ...(tool.description == null ? {} : { description: tool.description }), ...(parameters === undefined ? {} : { parameters }) };
  });
  const toolChoice = chosenTool(body.tool_choice, tools);
  const jsonSchema = formatSchema(body.text?.format);
  if (jsonSchema !== undefined && (toolChoice === "required" || typeof toolChoice === "object")) throw badRequest("Invalid text.format: a forced tool call has its own schema; give text.format or a forced tool_choice, not both", "text.format");
  return { ...(Object.keys(tools).length === 0 ? {} : { tools }), ...(toolChoice === undefined ? {} : { toolChoice }), ...(jsonSchema === undefined ? {} : { jsonSchema }) };
}

function chosenTool(choice: ResponseRequest["tool_choice"], tools: Record<string, ChatTool>): ToolChoice | undefined {
  if (choice == null) return undefined;
  if (typeof choice === "object") {
    if (choice.type !== "function") throw unsupported("tool_choice", `tool_choice of type "${choice.type}" is not supported; give "auto", "none", "required" or a function`);
    if (choice.name === undefined || !(choice.name in tools)) throw badRequest(`Invalid tool_choice: no function tool is named "${choice.name ?? ""}"`, "tool_choice");
    return { name: choice.name };
  }
  if (choice === "required" && Object.keys(tools).length === 0) throw badRequest('Invalid tool_choice: "required" needs at least one tool', "tool_choice");
  return choice;
}

function formatSchema(format: NonNullable<ResponseRequest["text"]>["format"]): object | undefined {
  if (format == null || format.type === "text") return undefined;
  if (format.type === "json_object") return anyJsonObject;
  grammarJsonSchema(format.schema, "text.format.schema");
  return format.schema;
}

/** Text content: a string, or text parts (`input_text`, `output_text`); images and files are refused by name. */
function itemText(content: string | z.output<typeof contentPart>[], where: string): string {
  if (typeof content === "string") return content;
  return content
    .map((part, index) => {
      if ((part.type !== "input_text" && part.type !== "output_text") || typeof part.text !== "string") throw unsupported(`${where}[${index}]`, `content parts of type "${part.type}" are not supported; send input_text or output_text`);
      return part.text;
    })
    .join("");
}

function parseArguments(text: string, where: string): unknown {
  try {
    return JSON.parse(text === "" ? "{}" : text) as unknown;
  } catch {
    throw badRequest(`Invalid ${where}: expected JSON text`, where);
  }
}

/** Parses one item with `schema`; a failure is a 400 naming the item's field. */
function parseItem<Schema extends z.ZodType>(schema: Schema, value: unknown, where: string): z.output<Schema> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const param = issue.path.length === 0 ? where : `${where}.${formatPath(issue.path)}`.replace(".[", "[");
  throw badRequest(`Invalid ${param}: ${issue.message}`, param);
}
