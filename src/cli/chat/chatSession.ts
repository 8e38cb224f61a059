/**
 * One chat, whatever reads and prints it (a terminal or a pipe): the conversation, the
 * sampling settings, and answering a message. An answer streams to `onText`; stopping it
 * (the signal) keeps what was said so far as the answer, so the conversation goes on. A
 * conversation that outgrows the context forgets its oldest exchanges first.
 */
import { ContextOverflowError } from "../../errors.js";
import type { GenerationResult } from "../../generation/events.js";
import type { GenerationSettings } from "../generationFlags.js";
import type { ChatReplier } from "./chatReply.js";
import { Conversation } from "./conversation.js";

export interface AnswerOptions {
  /** Stops the answer (Ctrl-C); what was said so far stays in the conversation. */
  signal?: AbortSignal;
  /** Each piece of the answer as it is generated. */
  onText: (text: string) => void;
  /** Told when old messages are forgotten to make room. */
  onNotice?: (line: string) => void;
}

export class ChatSession {
  conversation: Conversation;
  settings: GenerationSettings;
  /** The last answer's result, for `/stats`. */
  lastResult: GenerationResult | undefined;
  readonly replier: ChatReplier;
  /** Tokens of context the answers share with the conversation. */
  readonly contextSize: number;

  constructor(replier: ChatReplier, contextSize: number, options: { system?: string | undefined; settings?: GenerationSettings } = {}) {
    this.replier = replier;
    this.contextSize = contextSize;
    this.conversation = new Conversation(options.system);
    this.settings = { ...options.settings };
  }

  /** Tokens the conversation takes now, as the prompt of the next answer. */
  promptTokens(): number {
    return this.replier.promptTokens(this.conversation.messages());
  }

  /** Answers a message; resolves to the result (its `stopReason` is `"abort"` when stopped). */
  async answer(message: string, options: AnswerOptions): Promise<GenerationResult> {
    const { turns } = this.conversation;
    turns.push({ role: "user", content: message });
    let promptTokens: number;
    try {
      promptTokens = this.#makeRoom(options.onNotice);
    } catch (error) {
      turns.pop();
      throw error;
    }
    // At most --max-tokens, and never more than the context has left.
    const maxTokens = Math.min(this.settings.maxTokens ?? Infinity, this.contextSize - promptTokens);
    const stream = this.replier.reply(this.conversation.messages(), { ...this.settings, maxTokens, ...(options.signal === undefined ? {} : { signal: options.signal }) });
    let text = "";
    try {
      for await (const event of stream) {
        // The transcript format leaves a space after "Assistant:"; an answer starts at its first word.
        const piece = text === "" ? event.text.trimStart() : event.text;
        if (piece === "") continue;
        text += piece;
        options.onText(piece);
      }
    } catch (error) {
      turns.pop();
      throw error;
    }
    const result = await stream.result;
    this.lastResult = result;
    // An answer stopped before its first word leaves no trace: the message can simply be sent again.
    if (text.trim() === "") turns.pop();
    else turns.push({ role: "assistant", content: text.trimEnd() });
    return result;
  }

  /**
   * Forgets the oldest exchanges until the conversation leaves room for an answer: a
   * quarter of the context (less when --max-tokens is less). Returns the prompt's tokens;
   * throws ContextOverflowError when the newest message alone does not fit.
   */
  #makeRoom(onNotice: ((line: string) => void) | undefined): number {
    const room = Math.min(this.settings.maxTokens ?? Infinity, Math.max(16, Math.floor(this.contextSize / 4)));
    const { system, turns } = this.conversation;
    // Checked before anything is forgotten: a message that cannot fit costs no history.
    const alone = this.replier.promptTokens([...(system === undefined ? [] : [{ role: "system" as const, content: system }]), turns.at(-1)!]);
    if (alone + room > this.contextSize) {
      throw new ContextOverflowError(alone, room, this.contextSize, `The message (${alone} tokens with the system prompt) leaves no room for an answer of ${room} tokens in the context of ${this.contextSize}: write less, or start with a larger --context-size`);
    }
    let forgotten = 0;
    let tokens = this.promptTokens();
    while (tokens + room > this.contextSize && turns.length > 1) {
      forgotten += this.conversation.dropOldestExchange();
      tokens = this.promptTokens();
    }
    if (forgotten > 0) onNotice?.(`(the conversation outgrew the ${this.contextSize}-token context: the oldest ${forgotten} messages are forgotten)`);
    return tokens;
  }
}
