/**
 * OpenAI's tool and structured-output fields, as `context.chat` options: `tools`,
 * `tool_choice` and `response_format` on the request, `tool_calls` on assistant messages
 * and `tool` messages in the history. Everything is checked here, against the request's
 * own field names, so a 400 names what the client sent (`tool_choice`,
 * `response_format.json_schema.schema.properties.x.pattern`), not the library's options.
 */
import { z } from "zod";
import type { ChatOptions, ChatTool, ToolChoice } from "../../chat/chatOptions.js";
import { grammarJsonSchema } from "../../engine/jsonSchemaSupport.js";
import { InvalidArgumentError } from "../../errors.js";
import type { ToolCall } from "../../generation/events.js";
import { badRequest } from "../httpErrors.js";

const jsonSchemaObject = z.record(z.string(), z.unknown());

export const toolsSchema = z.array(
  z.strictObject({
    type: z.literal("function", { error: 'only "function" tools are supported' }),
    function: z.strictObject({
      name: z.string().min(1, "must not be empty"),
      description: z.string().nullish(),
      parameters: jsonSchemaObject.nullish(),
      /** Forced calls always follow the schema (a grammar); `strict` asks for nothing more. */
      strict: z.boolean().nullish(),
    }),
  }),
);

export const toolChoiceSchema = z.union([
  z.enum(["none", "auto", "required"]),
  z.strictObject({ type: z.literal("function"), function: z.strictObject({ name: z.string().min(1, "must not be empty") }) }),
]);

export const responseFormatSchema = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("text") }),
  z.strictObject({ type: z.literal("json_object") }),
  z.strictObject({
    type: z.literal("json_schema"),
    json_schema: z.strictObject({
      name: z.string().min(1, "must not be empty"),
      description: z.string().nullish(),
      schema: jsonSchemaObject.nullish(),
      /** Output always follows the schema (a grammar), strict or not. */
      strict: z.boolean().nullish(),
    }),
  }),
]);

/** An assistant message's calls, as OpenAI writes them (arguments are JSON text). */
export const messageToolCallsSchema = z.array(
  z.looseObject({
    id: z.string().min(1, "must not be empty"),
    type: z.literal("function").optional(),
    function: z.looseObject({ name: z.string().min(1, "must not be empty"), arguments: z.string() }),
  }),
);

/** `json_object` asks for some JSON object: any object at all. */
const anyJsonObject = { type: "object" };

interface ToolFields {
  tools?: z.output<typeof toolsSchema> | null | undefined;
  tool_choice?: z.output<typeof toolChoiceSchema> | null | undefined;
  response_format?: z.output<typeof responseFormatSchema> | null | undefined;
}

/** The request's tools, tool choice and response format as chat options. */
export function toolOptions(body: ToolFields): Pick<ChatOptions, "tools" | "toolChoice" | "jsonSchema"> {
  const tools: Record<string, ChatTool> = {};
  (body.tools ?? []).forEach(({ function: tool }, index) => {
    if (tool.name in tools) throw badRequest(`Invalid tools[${index}].function.name: "${tool.name}" is given twice`, `tools[${index}].function.name`);
    const parameters = tool.parameters ?? undefined;
    if (parameters !== undefined) grammarJsonSchema(parameters, `tools[${index}].function.parameters`);
    tools[tool.name] = { ...(tool.description == null ? {} : { description: tool.description }), ...(parameters === undefined ? {} : { parameters }) };
  });
  const toolChoice = chosen(body.tool_choice, tools);
  const jsonSchema = responseSchema(body.response_format);
  if (jsonSchema !== undefined && (toolChoice === "required" || typeof toolChoice === "object")) throw badRequest("Invalid response_format: a forced tool call has its own schema; give response_format or a forced tool_choice, not both", "response_format");
  return { ...(Object.keys(tools).length === 0 ? {} : { tools }), ...(toolChoice === undefined ? {} : { toolChoice }), ...(jsonSchema === undefined ? {} : { jsonSchema }) };
}

function chosen(choice: ToolFields["tool_choice"], tools: Record<string, ChatTool>): ToolChoice | undefined {
  if (choice == null) return undefined;
  if (typeof choice === "object") {
    if (!(choice.function.name in tools)) throw badRequest(`Invalid tool_choice: no tool is named "${choice.function.name}"`, "tool_choice");
    return { name: choice.function.name };
  }
  if (choice === "required" && Object.keys(tools).length === 0) throw badRequest('Invalid tool_choice: "required" needs at least one tool', "tool_choice");
  return choice;
}

function responseSchema(format: ToolFields["response_format"]): object | undefined {
  if (format == null || format.type === "text") return undefined;
  if (format.type === "json_object") return anyJsonObject;
  // Without a schema, json_schema asks for no more than JSON mode.
  const schema = format.json_schema.schema ?? anyJsonObject;
  grammarJsonSchema(schema, "response_format.json_schema.schema");
  return schema;
}

/** An assistant message's `tool_calls` as the chat's calls; the arguments must be JSON. */
export function assistantToolCalls(calls: z.output<typeof messageToolCallsSchema>, messageIndex: number): Omit<ToolCall, "argumentsText">[] {
  return calls.map((call, index) => {
    try {
      return { id: call.id, name: call.function.name, arguments: JSON.parse(call.function.arguments === "" ? "{}" : call.function.arguments) as unknown };
    } catch {
      throw new InvalidArgumentError(`messages[${messageIndex}].tool_calls[${index}].function.arguments`, "expected JSON text");
    }
  });
}
