/** The chat page's storage (web/conversations.ts, web/settings.ts) and speed figures (web/stats.ts), with an in-memory Storage. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ConversationStore } from "../../web/conversations.ts";
import { defaultSettings, loadSettings, parseMaxTokens, parseTemperature, saveSettings } from "../../web/settings.ts";
import { formatStats, StatsClock } from "../../web/stats.ts";

/** The Web Storage interface over a Map, with an optional size limit like a browser's quota. */
class MemoryStorage implements Storage {
  readonly #items = new Map<string, string>();
  constructor(readonly quota = Infinity) {}
  get length() {
    return this.#items.size;
  }
  clear() {
    this.#items.clear();
  }
  getItem(key: string) {
    return this.#items.get(key) ?? null;
  }
  key(index: number) {
    return [...this.#items.keys()][index] ?? null;
  }
  removeItem(key: string) {
    this.#items.delete(key);
  }
  setItem(key: string, value: string) {
    if (value.length > this.quota) throw new Error("QuotaExceededError");
    this.#items.set(key, value);
  }
}

test("conversations: saved, listed latest first, titled by their first question, deleted", async () => {
  const storage = new MemoryStorage();
  const store = new ConversationStore(storage);
  const first = store.create();
  assert.deepEqual(store.list(), [], "a new conversation is stored by its first save");
  first.messages.push({ role: "user", content: "  What is\nGGUF?  " }, { role: "assistant", content: "A file format." });
  store.save(first);
  await new Promise((resolve) => setTimeout(resolve, 2));
  const second = store.create();
  second.messages.push({ role: "user", content: "x".repeat(100) });
  store.save(second);
  assert.deepEqual(
    store.list().map((conversation) => conversation.title),
    [`${"x".repeat(47)}…`, "What is GGUF?"],
  );
  assert.notEqual(first.id, second.id);
  // A second store on the same storage (a reload) sees the same conversations.
  const reloaded = new ConversationStore(storage);
  assert.deepEqual(reloaded.get(first.id)?.messages, first.messages);
  reloaded.activeId = first.id;
  assert.equal(new ConversationStore(storage).activeId, first.id);
  reloaded.delete(first.id);
  assert.deepEqual(reloaded.list().map((conversation) => conversation.id), [second.id]);
  assert.equal(reloaded.activeId, undefined, "deleting the active conversation forgets it");
});

test("damaged or foreign stored data is skipped, never trusted", () => {
  const storage = new MemoryStorage();
  storage.setItem("mullama.conversations", "{not json");
  assert.deepEqual(new ConversationStore(storage).list(), []);
  const good = { id: "a", title: "t", updatedAt: 1, messages: [{ role: "user", content: "hi" }] };
  storage.setItem(
    "mullama.conversations",
    JSON.stringify([good, { id: 2, title: "t", updatedAt: 1, messages: [] }, { id: "b", title: "t", updatedAt: 1, messages: [{ role: "system", content: "x" }] }, null, "text"]),
  );
  assert.deepEqual(new ConversationStore(storage).list(), [good]);
});

test("a full storage makes save throw (the page says so) and keeps what was stored", () => {
  const store = new ConversationStore(new MemoryStorage(200));
  const conversation = store.create();
  conversation.messages.push({ role: "user", content: "short" });
  store.save(conversation);
  conversation.messages.push({ role: "assistant", content: "y".repeat(500) });
  assert.throws(() => store.save(conversation), /Quota/);
  assert.equal(store.list()[0]?.messages.length, 1);
});

test("settings: defaults, a round trip, and bad stored values replaced by defaults", () => {
  const storage = new MemoryStorage();
  assert.deepEqual(loadSettings(storage), defaultSettings);
  const settings = { model: "m", systemPrompt: "Be brief.", temperature: 0, maxTokens: 64, apiKey: "k" };
  saveSettings(storage, settings);
  assert.deepEqual(loadSettings(storage), settings);
  storage.setItem("mullama.settings", JSON.stringify({ temperature: 7, maxTokens: -3, model: 5, apiKey: null }));
  assert.deepEqual(loadSettings(storage), defaultSettings);
  assert.equal(parseTemperature("0.2"), 0.2);
  assert.equal(parseTemperature(""), undefined);
  assert.equal(parseTemperature("2.5"), undefined);
  assert.equal(parseMaxTokens("12"), 12);
  assert.equal(parseMaxTokens("1.5"), undefined);
  assert.equal(parseMaxTokens(""), undefined);
});

test("speed figures: time to first token from the request, tokens per second over the decoding after it", async () => {
  const clock = new StatsClock();
  await new Promise((resolve) => setTimeout(resolve, 30));
  clock.text();
  await new Promise((resolve) => setTimeout(resolve, 50));
  clock.text();
  clock.text();
  const stats = clock.finish(11);
  assert.equal(stats.tokens, 11, "the server's count wins over the chunks seen");
  assert.ok(stats.timeToFirstTokenMs! >= 25 && stats.timeToFirstTokenMs! < 1000, String(stats.timeToFirstTokenMs));
  // 10 tokens after the first, in about 50 ms (timers may fire a few ms early by performance.now: 200 tokens/s, give or take).
  assert.ok(stats.tokensPerSecond! > 20 && stats.tokensPerSecond! <= 250, String(stats.tokensPerSecond));
  assert.equal(new StatsClock().finish().tokens, 0);
  const burst = new StatsClock();
  for (let index = 0; index < 26; index++) burst.text();
  assert.equal(burst.finish().tokensPerSecond, undefined, "tokens that arrive at once give no speed");
  assert.equal(formatStats({ tokens: 42, tokensPerSecond: 85.34, timeToFirstTokenMs: 120.4 }), "42 tokens · 85.3 tokens/s · first token 120 ms");
  assert.equal(formatStats({ tokens: 1, timeToFirstTokenMs: 1500 }), "1 token · first token 1.50 s");
});
