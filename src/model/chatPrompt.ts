/**
 * Chat messages to a prompt: the one place that decides how a model is prompted with a
 * conversation, so the server passes messages in and gets a prompt back without touching
 * engine objects. A model with a chat template (or a server given one) is
 * rendered by the engine's chat wrappers (engine/chatTemplate.ts), which keep the
 * template's special tokens apart from the user's text, so a message cannot forge a turn
 * marker. A model without a template (a base model, like the bundled demo) gets a plain
 * transcript that any text model continues:
 *
 *     System: You are a helpful assistant.
 *     User: Hello!
 *     Assistant:
 *
 * with `\nUser:` and `\nSystem:` as stop strings so the model does not write the next turn.
 */
import { jinjaTemplateRenderer, modelTemplateRenderer, type ChatTurn, type TemplateRenderOptions, type TemplateRenderer, type TemplateTools } from "../engine/chatTemplate.js";
import type { OutputSyntax } from "../engine/outputSyntax.js";
import { InvalidArgumentError, errorMessage } from "../errors.js";
import { engineModelOf, type Model } from "./Model.js";

/** One message of a chat request. */
export type ChatMessage = ChatTurn;
export type { OutputSyntax, TemplateRenderOptions, TemplateTools };

export interface RenderedChat {
  /** Text for the transcript format; token ids for templates (their special tokens are already resolved). */
  prompt: string | number[];
  /** Stop strings that end the assistant's turn. */
  stop: string[];
  /** How the format marks tool calls and thinking in the reply; absent for the transcript, which marks neither. */
  syntax?: OutputSyntax;
}

/** How chats are rendered: the model's own template, a template the server was given, or the transcript. */
export type ChatFormat = "model-template" | "custom-template" | "transcript";

/** The transcript's turn markers, as the fallback format writes them. */
const transcriptTitles = { system: "System", user: "User", assistant: "Assistant" } as const;

export class ChatPromptRenderer {
  readonly format: ChatFormat;
  readonly #template: TemplateRenderer | undefined;

  private constructor(format: ChatFormat, template: TemplateRenderer | undefined) {
    this.format = format;
    this.#template = template;
  }

  /**
   * Picks the format for a model. `template` (a Jinja chat template) overrides the
   * model's own; it is checked now, so a broken template fails at startup.
   */
  static create(model: Model, template?: string): ChatPromptRenderer {
    if (template !== undefined) {
      try {
        return new ChatPromptRenderer("custom-template", jinjaTemplateRenderer(template, engineModelOf(model)));
      } catch (error) {
        throw new InvalidArgumentError("chatTemplate", `the chat template cannot be used: ${errorMessage(error)}`, { cause: error });
      }
    }
    if (model.metadata.chatTemplate === undefined) return new ChatPromptRenderer("transcript", undefined);
    return new ChatPromptRenderer("model-template", modelTemplateRenderer(engineModelOf(model)));
  }

  /** Whether the format separates the model's thinking from its answer (Qwen 3, DeepSeek R1 ...). */
  get separatesThinking(): boolean {
    return this.#template?.syntax.thought !== undefined;
  }

  /** Renders the conversation for the assistant's next turn; `tools` are described to the model as its format does. */
  render(messages: readonly ChatMessage[], tools?: TemplateTools, options?: TemplateRenderOptions): RenderedChat {
    if (this.#template === undefined) return renderTranscript(messages, tools);
    const { tokens, stop, syntax } = this.#template.render(messages, tools, options);
    return { prompt: tokens, stop, syntax };
  }
}

function renderTranscript(messages: readonly ChatMessage[], tools: TemplateTools | undefined): RenderedChat {
  const lines: string[] = [];
  for (const [name, tool] of Object.entries(tools ?? {})) lines.push(`Tool ${name}: ${tool.description} Parameters: ${JSON.stringify(tool.parameters)}`);
  const names = new Map<string, string>();
  for (const message of messages) {
    if (message.role === "tool") {
      lines.push(`Tool ${names.get(message.toolCallId) ?? ""} result: ${message.content}`);
      continue;
    }
    if (message.role !== "assistant" || message.content !== "" || message.toolCalls === undefined) lines.push(`${transcriptTitles[message.role]}: ${message.content}`);
    if (message.role !== "assistant") continue;
    for (const call of message.toolCalls ?? []) {
      names.set(call.id, call.name);
      lines.push(`${transcriptTitles.assistant} calls ${call.name}: ${typeof call.arguments === "string" ? call.arguments : JSON.stringify(call.arguments)}`);
    }
  }
  lines.push(`${transcriptTitles.assistant}:`);
  return { prompt: lines.join("\n"), stop: [`\n${transcriptTitles.user}:`, `\n${transcriptTitles.system}:`] };
}
