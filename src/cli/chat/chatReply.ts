/**
 * The one place where the chat command turns a conversation into a generation:
 * `context.chat` renders the messages through the model's chat template (or the plain
 * transcript for a model without one) and streams the assistant's answer. The same
 * renderer measures a conversation, so the chat can tell when it outgrows the context.
 */
import type { Context } from "../../context/Context.js";
import type { GenerationOptions } from "../../generation/options.js";
import { ChatPromptRenderer, type ChatFormat, type ChatMessage } from "../../model/chatPrompt.js";
import type { TokenStream } from "../../streaming/TokenStream.js";
import type { PromptProgress } from "../promptProgress.js";

export interface ChatReplier {
  /** How the conversation is written for the model: its own template, or the transcript. */
  readonly format: ChatFormat;
  /** Tokens the conversation takes as a prompt (the answer's opening included). */
  promptTokens(messages: readonly ChatMessage[]): number;
  /** Streams the assistant's answer to the conversation. */
  reply(messages: readonly ChatMessage[], options: GenerationOptions): TokenStream;
}

/** `progress`: shows prompt processing (promptProgress.ts); defaults to none. */
export function chatReplier(context: Context, progress?: PromptProgress): ChatReplier {
  const renderer = ChatPromptRenderer.create(context.model);
  return {
    format: renderer.format,
    promptTokens(messages) {
      const { prompt } = renderer.render(messages);
      return typeof prompt === "string" ? context.model.tokenize(prompt, { addBos: true }).length : prompt.length;
    },
    reply(messages, options) {
      if (progress === undefined) return context.chat(messages, { ...options, renderer });
      const stream = context.chat(messages, { ...options, renderer, onPromptProgress: progress.onPromptProgress });
      // An answer stopped or failed before its first token leaves no bar behind.
      stream.result.then(progress.clear, progress.clear);
      return stream;
    },
  };
}
