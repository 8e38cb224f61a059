/**
 * One chat turn planned: the conversation rendered through the model's chat format, and
 * how tools shape the output.
 * - `"none"` or no tools: a plain reply.
 * - `"required"` or `{ name }`: a grammar forces one valid call (on any model, templates
 *   or not), turned into tool-call parts as it is generated (forcedToolCall.ts).
 * - `"auto"`: the tools are described to the model in its template's own words, and
 *   calls written in the template's tool format become tool-call parts
 *   (templateToolCalls.ts); the transcript has no tool format, so its reply stays text.
 * Thinking in the template's thought markers becomes reasoning (thoughtSegments.ts).
 * A `jsonSchema` constrains a plain reply the same way as for `stream`; the grammar leaves
 * no room for thinking, so the template is asked to answer without it.
 */
import { ChatPromptRenderer, type RenderedChat, type TemplateTools } from "../model/chatPrompt.js";
import type { Model } from "../model/Model.js";
import { InvalidArgumentError } from "../errors.js";
import type { GenerationOptions } from "../generation/options.js";
import { chainShapers, type OutputShaper } from "../generation/outputShaper.js";
import type { ResolvedChat } from "./chatOptions.js";
import { ForcedToolCallShaper, forcedCallSchema } from "./forcedToolCall.js";
import { TemplateToolCallShaper } from "./templateToolCalls.js";
import { ThoughtShaper } from "./thoughtSegments.js";

export interface PlannedTurn {
  prompt: RenderedChat["prompt"];
  options: GenerationOptions;
  shaper: OutputShaper | undefined;
}

const defaultRenderers = new WeakMap<Model, ChatPromptRenderer>();

/** The model's own chat format (its template, or the transcript), made once per model. */
export function defaultRenderer(model: Model): ChatPromptRenderer {
  let renderer = defaultRenderers.get(model);
  if (renderer === undefined) defaultRenderers.set(model, (renderer = ChatPromptRenderer.create(model)));
  return renderer;
}

export function planChatTurn(chat: ResolvedChat, renderer: ChatPromptRenderer): PlannedTurn {
  const useTools = chat.tools.size > 0 && chat.toolChoice !== "none";
  const forced = useTools && chat.toolChoice !== "auto";
  if (forced && chat.generation.jsonSchema !== undefined) throw new InvalidArgumentError("options.jsonSchema", "a forced tool call has its own schema; give jsonSchema or a forced toolChoice, not both");
  const callable = typeof chat.toolChoice === "object" ? new Map([[chat.toolChoice.name, chat.tools.get(chat.toolChoice.name)!]]) : chat.tools;
  const tools: TemplateTools | undefined = useTools ? Object.fromEntries(callable) : undefined;
  const constrained = forced || chat.generation.jsonSchema !== undefined || chat.generation.grammar !== undefined;
  const rendered = renderer.render(chat.messages, tools, { thinking: chat.thinking && !constrained });
  const stop = [...new Set([...toList(chat.generation.stop), ...rendered.stop])];
  const options: GenerationOptions = { ...chat.generation, ...(stop.length === 0 ? {} : { stop }) };
  if (forced) return { prompt: rendered.prompt, options: { ...options, jsonSchema: forcedCallSchema(callable) }, shaper: new ForcedToolCallShaper() };
  // A reply constrained to a schema or grammar is that value: neither thinking nor a call.
  if (constrained) return { prompt: rendered.prompt, options, shaper: undefined };
  const { thought, toolCall } = rendered.syntax ?? {};
  const shapers: OutputShaper[] = [];
  if (thought !== undefined) shapers.push(new ThoughtShaper(thought, chat.thinking));
  if (useTools && toolCall !== undefined) shapers.push(new TemplateToolCallShaper(toolCall, [...callable.keys()]));
  return { prompt: rendered.prompt, options, shaper: chainShapers(shapers) };
}

function toList(stop: GenerationOptions["stop"]): readonly string[] {
  return stop === undefined ? [] : typeof stop === "string" ? [stop] : stop;
}
