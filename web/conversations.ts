/**
 * Conversations kept in the browser's storage (localStorage, per origin), so they
 * survive a reload. What is stored is checked when read back: a damaged or foreign
 * entry is skipped, never trusted, and never stops the page from starting.
 */
import type { GenerationStats } from "./stats.js";

export interface StoredMessage {
  role: "user" | "assistant";
  content: string;
  /** Speed figures of an answer. */
  stats?: GenerationStats;
  /** The user stopped the answer before its end. */
  stopped?: boolean;
  /** The answer ended at the token limit (Max tokens, or the context's end), not where the model ended it. */
  truncated?: boolean;
  /** Why the answer failed; such a message is shown but never sent back to the model. */
  error?: string;
}

export interface Conversation {
  id: string;
  title: string;
  /** Milliseconds since the epoch: the list shows the latest first. */
  updatedAt: number;
  messages: StoredMessage[];
}

const conversationsKey = "mullama.conversations";
const activeKey = "mullama.activeConversation";
/** Titles are the first words of the first message. */
const titleLength = 48;

export class ConversationStore {
  readonly #storage: Storage;

  constructor(storage: Storage) {
    this.#storage = storage;
  }

  /** Every stored conversation, the most recently updated first. */
  list(): Conversation[] {
    let parsed: unknown;
    try {
      parsed = JSON.parse(this.#storage.getItem(conversationsKey) ?? "[]");
    } catch {
      return [];
    }
    return Array.isArray(parsed) ? parsed.filter(isConversation).sort((a, b) => b.updatedAt - a.updatedAt) : [];
  }

  get(id: string): Conversation | undefined {
    return this.list().find((conversation) => conversation.id === id);
  }

  /** A new, empty conversation; it is stored by the first `save`. */
  create(): Conversation {
    return { id: newId(), title: "New chat", updatedAt: Date.now(), messages: [] };
  }

  /** Stores (or replaces) the conversation. Throws when the storage is full. */
  save(conversation: Conversation): void {
    conversation.updatedAt = Date.now();
    const first = conversation.messages.find((message) => message.role === "user");
    if (first !== undefined) conversation.title = titleOf(first.content);
    this.#write([conversation, ...this.list().filter((stored) => stored.id !== conversation.id)]);
  }

  delete(id: string): void {
    this.#write(this.list().filter((conversation) => conversation.id !== id));
    if (this.activeId === id) this.activeId = undefined;
  }

  /** The conversation shown last, to show again after a reload. */
  get activeId(): string | undefined {
    return this.#storage.getItem(activeKey) ?? undefined;
  }

  set activeId(id: string | undefined) {
    if (id === undefined) this.#storage.removeItem(activeKey);
    else this.#storage.setItem(activeKey, id);
  }

  #write(conversations: Conversation[]): void {
    this.#storage.setItem(conversationsKey, JSON.stringify(conversations));
  }
}

function titleOf(text: string): string {
  const line = text.trim().replace(/\s+/g, " ");
  return line.length <= titleLength ? line || "New chat" : `${line.slice(0, titleLength - 1)}…`;
}

/** Not crypto.randomUUID: that exists only on https and localhost pages, and a LAN address is neither. */
function newId(): string {
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

function isConversation(value: unknown): value is Conversation {
  const candidate = value as Partial<Conversation> | null;
  return (
    typeof candidate === "object" &&
    candidate !== null &&
    typeof candidate.id === "string" &&
    typeof candidate.title === "string" &&
    typeof candidate.updatedAt === "number" &&
    Array.isArray(candidate.messages) &&
    candidate.messages.every(isMessage)
  );
}

function isMessage(value: unknown): value is StoredMessage {
  const candidate = value as Partial<StoredMessage> | null;
  return typeof candidate === "object" && candidate !== null && (candidate.role === "user" || candidate.role === "assistant") && typeof candidate.content === "string";
}
