/**
 * Chat templates through node-llama-cpp's chat wrappers: they read a GGUF's Jinja template
 * (or recognise it as a known format) and keep the template's special tokens apart from
 * the user's text, so a message cannot forge a turn marker.
 */
import { JinjaTemplateChatWrapper, LlamaText, SpecialTokensText, resolveChatWrapper, type ChatHistoryItem, type ChatModelFunctions, type ChatModelResponse, type ChatWrapper, type LlamaModel } from "node-llama-cpp";
import { outputSyntaxOf, type OutputSyntax } from "./outputSyntax.js";

/** A tool call in an assistant turn. */
export interface TurnToolCall {
  id: string;
  name: string;
  /** The arguments (parsed), or their JSON text. */
  arguments: unknown;
}

/** One turn of a conversation. */
export type ChatTurn =
  | { role: "system" | "user"; content: string }
  | { role: "assistant"; content: string; toolCalls?: readonly TurnToolCall[] }
  | { role: "tool"; toolCallId: string; content: string };

/** Tools as the template describes them to the model: name -> description and parameters schema. */
export type TemplateTools = Record<string, { description: string; parameters: object }>;

/** A conversation rendered for the model to continue as the assistant. */
export interface RenderedTemplate {
  /** Token ids: the template's special tokens are already resolved. */
  tokens: number[];
  /** Stop strings that end the assistant's turn. */
  stop: string[];
  /** How this rendering's format marks tool calls and thinking in the reply. */
  syntax: OutputSyntax;
}

export interface TemplateRenderOptions {
  /** `false`: for a format that separates thinking, the reply starts after an empty thought, so the model answers at once. Defaults to true. */
  thinking?: boolean;
}

export interface TemplateRenderer {
  /** How the format marks tool calls and thinking in the reply (when thinking is not turned off). */
  readonly syntax: OutputSyntax;
  render(turns: readonly ChatTurn[], tools?: TemplateTools, options?: TemplateRenderOptions): RenderedTemplate;
}

/** A renderer for the template in the model's own file. */
export function modelTemplateRenderer(engineModel: LlamaModel): TemplateRenderer {
  return wrapperRenderer(resolveChatWrapper(engineModel, { warningLogs: false }), engineModel);
}

/** A renderer for a given Jinja template; renders once now, so a broken template throws here. */
export function jinjaTemplateRenderer(template: string, engineModel: LlamaModel): TemplateRenderer {
  const wrapper = new JinjaTemplateChatWrapper({ template });
  wrapper.generateContextState({ chatHistory: toHistory([{ role: "user", content: "test" }]) });
  return wrapperRenderer(wrapper, engineModel);
}

function wrapperRenderer(wrapper: ChatWrapper, engineModel: LlamaModel): TemplateRenderer {
  const syntax = outputSyntaxOf(wrapper);
  const { thought } = syntax;
  // A reply without thinking starts with an empty thought, as a model that skips thinking
  // writes it (and as Qwen 3's template does for enable_thinking=false): the wrappers
  // render the reply's start from the conversation, not from a template's generation prompt.
  const emptyThought = thought === undefined ? undefined : new SpecialTokensText(`${thought.opensAtStart ? "" : thought.prefix}${thought.suffix}\n\n`);
  return {
    syntax,
    render(turns, tools, options = {}) {
      const availableFunctions = tools === undefined ? undefined : (Object.fromEntries(Object.entries(tools).map(([name, tool]) => [name, { description: tool.description, params: tool.parameters }])) as ChatModelFunctions);
      const state = wrapper.generateContextState({ chatHistory: toHistory(turns), ...(availableFunctions === undefined ? {} : { availableFunctions }) });
      const quiet = options.thinking === false && emptyThought !== undefined;
      const contextText = quiet ? LlamaText([state.contextText, emptyThought]) : state.contextText;
      return {
        tokens: contextText.tokenize(engineModel.tokenizer) as number[],
        stop: state.stopGenerationTriggers.map(triggerText).filter((text): text is string => text !== undefined),
        // After the empty thought the reply is all answer.
        syntax: quiet ? { ...syntax, thought: { ...thought!, opensAtStart: false } } : syntax,
      };
    },
  };
}

/**
 * The conversation, then an empty model turn: the wrapper renders it as "the assistant
 * speaks next". A tool message is the result of a call of an earlier assistant turn: the
 * engine keeps each call together with its result.
 */
function toHistory(turns: readonly ChatTurn[]): ChatHistoryItem[] {
  const results = new Map<string, string>();
  for (const turn of turns) if (turn.role === "tool") results.set(turn.toolCallId, turn.content);
  const history: ChatHistoryItem[] = [];
  for (const turn of turns) {
    if (turn.role === "system") history.push({ type: "system", text: turn.content });
    else if (turn.role === "user") history.push({ type: "user", text: turn.content });
    else if (turn.role === "assistant") {
      const response: ChatModelResponse["response"] = turn.content === "" ? [] : [turn.content];
      for (const call of turn.toolCalls ?? []) {
        response.push({ type: "functionCall", name: call.name, params: typeof call.arguments === "string" ? safeParse(call.arguments) : call.arguments, result: results.get(call.id) ?? "" });
      }
      history.push({ type: "model", response });
    }
  }
  history.push({ type: "model", response: [] });
  return history;
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * A trigger as a stop string. Triggers made only of special tokens (end of sequence, end
 * of turn) are left out: the generation loop already ends on end-of-generation tokens.
 */
function triggerText(trigger: LlamaText): string | undefined {
  let text = "";
  for (const value of trigger.values) {
    if (typeof value === "string") text += value;
    // Text such as "<|im_end|>" also stops the turn when the model spells it out instead of emitting the token.
    else if (value instanceof SpecialTokensText) text += value.value;
    else return undefined;
  }
  return text === "" ? undefined : text;
}
