/**
 * Chat templates through node-llama-cpp's chat wrappers: they read a GGUF's Jinja template
 * (or recognise it as a known format) and keep the template's special tokens apart from
 * the user's text, so a message cannot forge a turn marker.
 */
import { JinjaTemplateChatWrapper, SpecialTokensText, resolveChatWrapper, type ChatHistoryItem, type ChatModelFunctions, type ChatModelResponse, type ChatWrapper, type LlamaModel, type LlamaText } from "node-llama-cpp";
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
  /** `false`: the format's way to answer without thinking, where it has one. Defaults to the format's default. */
  thinking?: boolean;
}

export interface TemplateRenderer {
  render(turns: readonly ChatTurn[], tools?: TemplateTools, options?: TemplateRenderOptions): RenderedTemplate;
}

/** A renderer for the template in the model's own file. */
export function modelTemplateRenderer(engineModel: LlamaModel): TemplateRenderer {
  return wrapperRenderer(resolveChatWrapper(engineModel, { warningLogs: false }), engineModel, () =>
    // Jinja templates get `enable_thinking: false`; Qwen's own format an empty thought.
    resolveChatWrapper(engineModel, { warningLogs: false, customWrapperSettings: { jinjaTemplate: { reasoning: false }, qwen: { thoughts: "discourage" } } }),
  );
}

/** A renderer for a given Jinja template; renders once now, so a broken template throws here. */
export function jinjaTemplateRenderer(template: string, engineModel: LlamaModel): TemplateRenderer {
  const wrapper = new JinjaTemplateChatWrapper({ template });
  wrapper.generateContextState({ chatHistory: toHistory([{ role: "user", content: "test" }]) });
  return wrapperRenderer(wrapper, engineModel, () => new JinjaTemplateChatWrapper({ template, reasoning: false }));
}

/** `withoutThinking` makes the wrapper for replies without thinking, the first time one is asked for. */
function wrapperRenderer(wrapper: ChatWrapper, engineModel: LlamaModel, withoutThinking: () => ChatWrapper): TemplateRenderer {
  const syntax = outputSyntaxOf(wrapper);
  let quiet: { wrapper: ChatWrapper; syntax: OutputSyntax } | undefined;
  return {
    render(turns, tools, options = {}) {
      // Only a format that separates thinking has a way to leave it out.
      if (options.thinking === false && syntax.thought !== undefined) {
        if (quiet === undefined) {
          const quietWrapper = withoutThinking();
          quiet = { wrapper: quietWrapper, syntax: outputSyntaxOf(quietWrapper) };
        }
        return renderWith(quiet.wrapper, quiet.syntax, engineModel, turns, tools);
      }
      return renderWith(wrapper, syntax, engineModel, turns, tools);
    },
  };
}

function renderWith(wrapper: ChatWrapper, syntax: OutputSyntax, engineModel: LlamaModel, turns: readonly ChatTurn[], tools: TemplateTools | undefined): RenderedTemplate {
  const availableFunctions = tools === undefined ? undefined : (Object.fromEntries(Object.entries(tools).map(([name, tool]) => [name, { description: tool.description, params: tool.parameters }])) as ChatModelFunctions);
  const state = wrapper.generateContextState({ chatHistory: toHistory(turns), ...(availableFunctions === undefined ? {} : { availableFunctions }) });
  return {
    tokens: state.contextText.tokenize(engineModel.tokenizer) as number[],
    stop: state.stopGenerationTriggers.map(triggerText).filter((text): text is string => text !== undefined),
    syntax,
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
