/**
 * Chat messages to a prompt. A model with a chat template (or a server given one) is
 * rendered by node-llama-cpp's chat wrappers, which read the GGUF's Jinja template (or
 * recognise it as a known format) and keep the template's special tokens apart from the
 * user's text, so a message cannot forge a turn marker. A model without a template (a base
 * model, like the bundled demo) gets a plain transcript that any text model continues:
 *
 *     System: You are a helpful assistant.
 *     User: Hello!
 *     Assistant:
 *
 * with `\nUser:` and `\nSystem:` as stop strings so the model does not write the next turn.
 */
import { JinjaTemplateChatWrapper, SpecialTokensText, resolveChatWrapper, type ChatHistoryItem, type ChatWrapper, type LlamaText } from "node-llama-cpp";
import { InvalidArgumentError } from "../errors.js";
import { describe, engineModelOf, type Model } from "../model/Model.js";

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

export interface RenderedChat {
  /** Text for the transcript format; token ids for templates (their special tokens are already resolved). */
  prompt: string | number[];
  /** Stop strings that end the assistant's turn. */
  stop: string[];
}

/** How chats are rendered: the model's own template, a template the server was given, or the transcript. */
export type ChatFormat = "model-template" | "custom-template" | "transcript";

/** The transcript's turn markers, as the fallback format writes them. */
const transcriptTitles = { system: "System", user: "User", assistant: "Assistant" } as const;

export class ChatPromptRenderer {
  readonly format: ChatFormat;
  readonly #model: Model;
  readonly #wrapper: ChatWrapper | undefined;

  private constructor(model: Model, format: ChatFormat, wrapper: ChatWrapper | undefined) {
    this.#model = model;
    this.format = format;
    this.#wrapper = wrapper;
  }

  /**
   * Picks the format for a model. `template` (a Jinja chat template) overrides the
   * model's own; it is checked now, so a broken template fails at startup.
   */
  static create(model: Model, template?: string): ChatPromptRenderer {
    if (template !== undefined) {
      try {
        const wrapper = new JinjaTemplateChatWrapper({ template });
        // Rendering once surfaces template errors at startup rather than on the first request.
        wrapper.generateContextState({ chatHistory: toHistory([{ role: "user", content: "test" }]) });
        return new ChatPromptRenderer(model, "custom-template", wrapper);
      } catch (error) {
        throw new InvalidArgumentError("chatTemplate", `the chat template cannot be used: ${describe(error)}`, { cause: error });
      }
    }
    if (model.metadata.chatTemplate === undefined) return new ChatPromptRenderer(model, "transcript", undefined);
    return new ChatPromptRenderer(model, "model-template", resolveChatWrapper(engineModelOf(model), { warningLogs: false }));
  }

  render(messages: readonly ChatMessage[]): RenderedChat {
    if (this.#wrapper === undefined) return renderTranscript(messages);
    const state = this.#wrapper.generateContextState({ chatHistory: toHistory(messages) });
    const engineModel = engineModelOf(this.#model);
    return {
      prompt: state.contextText.tokenize(engineModel.tokenizer) as number[],
      stop: state.stopGenerationTriggers.map(triggerText).filter((text): text is string => text !== undefined),
    };
  }
}

/** The conversation, then an empty model turn: the wrapper renders it as "the assistant speaks next". */
function toHistory(messages: readonly ChatMessage[]): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = messages.map((message): ChatHistoryItem => {
    if (message.role === "system") return { type: "system", text: message.content };
    if (message.role === "user") return { type: "user", text: message.content };
    return { type: "model", response: [message.content] };
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

function renderTranscript(messages: readonly ChatMessage[]): RenderedChat {
  const lines = messages.map((message) => `${transcriptTitles[message.role]}: ${message.content}`);
  lines.push(`${transcriptTitles.assistant}:`);
  return { prompt: lines.join("\n"), stop: [`\n${transcriptTitles.user}:`, `\n${transcriptTitles.system}:`] };
}
