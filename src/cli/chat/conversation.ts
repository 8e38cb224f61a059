/**
 * A conversation: an optional system prompt and the turns after it. It saves to and loads
 * from a JSON file whose `messages` are in the OpenAI chat shape (the system prompt
 * first), so a saved chat can be posted to /v1/chat/completions as it is:
 *
 *     { "messages": [{ "role": "system", "content": "..." }, { "role": "user", "content": "..." }, ...],
 *       "options": { "temperature": 0.2 } }
 */
import { z } from "zod";
import type { ChatMessage } from "../../model/chatPrompt.js";
import type { GenerationSettings } from "../generationFlags.js";

/** What a chat file holds. */
export interface SavedChat {
  messages: ChatMessage[];
  /** The sampling settings in force when it was saved (`/set`). */
  options: GenerationSettings;
}

const savedChatSchema = z.object({
  messages: z.array(z.object({ role: z.enum(["system", "user", "assistant"]), content: z.string() })),
  options: z
    .object({
      maxTokens: z.number().int().positive().optional(),
      temperature: z.number().min(0).optional(),
      topK: z.number().int().min(0).optional(),
      topP: z.number().min(0).max(1).optional(),
      minP: z.number().min(0).max(1).optional(),
      repeatPenalty: z.number().positive().optional(),
      seed: z.number().int().min(0).max(0xffff_ffff).optional(),
      stop: z.array(z.string().min(1)).optional(),
    })
    .optional(),
});

export class Conversation {
  system: string | undefined;
  /** The turns, oldest first: user and assistant messages. */
  readonly turns: ChatMessage[] = [];

  constructor(system?: string) {
    this.system = system === "" ? undefined : system;
  }

  /** Everything the model is given: the system prompt (when there is one), then the turns. */
  messages(): ChatMessage[] {
    return this.system === undefined ? [...this.turns] : [{ role: "system", content: this.system }, ...this.turns];
  }

  /** Forgets the turns; the system prompt stays. */
  clear(): void {
    this.turns.length = 0;
  }

  /** Forgets the oldest exchange (a user message and the answer to it). Returns how many messages went. */
  dropOldestExchange(): number {
    const answer = this.turns[1]?.role === "assistant" ? 1 : 0;
    return this.turns.splice(0, 1 + answer).length;
  }

  toSaved(options: GenerationSettings): SavedChat {
    return { messages: this.messages(), options };
  }

  /** A conversation from a chat file's contents; throws with a sentence saying what is wrong. */
  static fromSaved(json: unknown): { conversation: Conversation; options: GenerationSettings } {
    const parsed = savedChatSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new Error(`not a saved chat (${issue.path.join(".") || "the file"}: ${issue.message})`);
    }
    const [first, ...rest] = parsed.data.messages;
    const conversation = new Conversation(first?.role === "system" ? first.content : undefined);
    conversation.turns.push(...(first?.role === "system" ? rest : parsed.data.messages).filter((message) => message.role !== "system"));
    return { conversation, options: parsed.data.options ?? {} };
  }
}
