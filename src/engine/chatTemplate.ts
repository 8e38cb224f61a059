/**
 * Chat templates through node-llama-cpp's chat wrappers: they read a GGUF's Jinja template
 * (or recognise it as a known format) and keep the template's special tokens apart from
 * the user's text, so a message cannot forge a turn marker.
 */
import { JinjaTemplateChatWrapper, SpecialTokensText, resolveChatWrapper, type ChatHistoryItem, type ChatWrapper, type LlamaModel, type LlamaText } from "node-llama-cpp";

export interface ChatTurn {
  role: "system" | "user" | "assistant";
  content: string;
}

/** A conversation rendered for the model to continue as the assistant. */
export interface RenderedTemplate {
  /** Token ids: the template's special tokens are already resolved. */
  tokens: number[];
  /** Stop strings that end the assistant's turn. */
  stop: string[];
}

export interface TemplateRenderer {
  render(turns: readonly ChatTurn[]): RenderedTemplate;
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
  return {
    render(turns) {
      const state = wrapper.generateContextState({ chatHistory: toHistory(turns) });
      return {
        tokens: state.contextText.tokenize(engineModel.tokenizer) as number[],
        stop: state.stopGenerationTriggers.map(triggerText).filter((text): text is string => text !== undefined),
      };
    },
  };
}

/** The conversation, then an empty model turn: the wrapper renders it as "the assistant speaks next". */
function toHistory(turns: readonly ChatTurn[]): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = turns.map((turn): ChatHistoryItem => {
    if (turn.role === "system") return { type: "system", text: turn.content };
    if (turn.role === "user") return { type: "user", text: turn.content };
    return { type: "model", response: [turn.content] };
  });
  history.push({ type: "model", response: [] });
  return history;
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
