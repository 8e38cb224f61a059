/**
 * The chat page: wires the page's elements to the stored conversations, the settings and
 * the server. One answer streams at a time; it belongs to the conversation it started
 * in, so switching conversations meanwhile is fine. Stop aborts the request: the server
 * sees the connection close and stops generating within a token.
 */
import { ApiError, listModels, streamChat, type ChatTurn } from "./chatApi.js";
import { bindComposer } from "./composer.js";
import { renderConversationList } from "./conversationListView.js";
import { ConversationStore, type Conversation, type StoredMessage } from "./conversations.js";
import { byId, element } from "./dom.js";
import { renderMessage, updateMessage } from "./messageView.js";
import { bindSettingsPanel } from "./settingsPanel.js";
import { loadSettings } from "./settings.js";
import { StatsClock } from "./stats.js";

const page = {
  body: document.body,
  conversationList: byId("conversation-list", HTMLUListElement),
  newConversation: byId("new-conversation", HTMLButtonElement),
  toggleSidebar: byId("toggle-sidebar", HTMLButtonElement),
  scrim: byId("scrim", HTMLDivElement),
  model: byId("model", HTMLSelectElement),
  notice: byId("notice", HTMLElement),
  messages: byId("messages", HTMLElement),
  stop: byId("stop", HTMLButtonElement),
  send: byId("send", HTMLButtonElement),
};

interface RunningAnswer {
  conversation: Conversation;
  message: StoredMessage;
  controller: AbortController;
  view: HTMLElement | undefined;
}

/** Near the bottom, new text keeps the view scrolled down; further up, the reader is left alone. */
const followDistancePixels = 80;
/** While the model loads, the model list is asked for again after this long, in milliseconds. */
const loadingRetryMs = 1000;

const store = new ConversationStore(localStorage);
const settings = loadSettings(localStorage);
let conversation: Conversation = store.get(store.activeId ?? "") ?? store.list()[0] ?? store.create();
let running: RunningAnswer | undefined;
let renderPending = false;
/** Counts model list requests: an answer to an older one (the key changed since) is ignored. */
let modelsRequest = 0;

const settingsPanel = bindSettingsPanel(settings, localStorage, { apiKeyChanged: () => void loadModels() });
const composer = bindComposer({ send, stop: () => running?.controller.abort() });

page.model.addEventListener("change", () => settingsPanel.update({ model: page.model.value }));
page.newConversation.addEventListener("click", () => {
  if (conversation.messages.length > 0) showConversation(store.create());
  composer.focus();
});
page.toggleSidebar.addEventListener("click", () => page.body.classList.toggle("sidebar-open"));
page.scrim.addEventListener("click", () => page.body.classList.remove("sidebar-open"));
// Another tab of this page changed the stored conversations.
window.addEventListener("storage", () => renderList());
// A reload or a closed tab ends the request; the answer so far is kept, marked stopped.
window.addEventListener("pagehide", () => {
  if (running === undefined) return;
  running.message.stopped = true;
  persist(running.conversation);
});

showConversation(conversation);
void loadModels();

/** Starts an answer to `text` in the conversation shown; false (the text stays in the box) when it cannot. */
function send(text: string): boolean {
  if (running !== undefined) return false;
  if (settings.model === "") {
    showNotice("There is no model to ask yet: the list of models has not loaded.");
    return false;
  }
  void answer(conversation, text);
  return true;
}

async function answer(target: Conversation, text: string): Promise<void> {
  const history = historyOf(target.messages);
  const system: ChatTurn[] = settings.systemPrompt.trim() === "" ? [] : [{ role: "system", content: settings.systemPrompt }];
  const answer: StoredMessage = { role: "assistant", content: "" };
  target.messages.push({ role: "user", content: text }, answer);
  running = { conversation: target, message: answer, controller: new AbortController(), view: undefined };
  const { controller } = running;
  persist(target);
  showConversation(target);
  setRunning(true);
  const clock = new StatsClock();
  let tokens: number | undefined;
  try {
    const request = { model: settings.model, messages: [...system, ...history, { role: "user" as const, content: text }], temperature: settings.temperature, ...(settings.maxTokens === undefined ? {} : { maxTokens: settings.maxTokens }) };
    for await (const part of streamChat(request, settings.apiKey, controller.signal)) {
      if (part.type === "text") {
        clock.text();
        answer.content += part.text;
        scheduleRender();
      } else if (part.type === "usage") {
        tokens = part.completionTokens;
      } else if (part.reason === "length") {
        answer.truncated = true;
      }
    }
  } catch (error) {
    if (controller.signal.aborted) answer.stopped = true;
    else answer.error = describeError(error);
  }
  if (answer.content !== "") answer.stats = clock.finish(tokens);
  running = undefined;
  setRunning(false);
  // Stored when it started: gone now means deleted meanwhile, and it stays deleted.
  if (store.get(target.id) !== undefined) persist(target);
  if (conversation === target) renderMessages();
  renderList();
}

/** The turns sent back to the model: a failed answer, and the question it failed on, are left out. */
function historyOf(messages: readonly StoredMessage[]): ChatTurn[] {
  return messages
    .filter((message, index) => message.error === undefined && !(message.role === "user" && messages[index + 1]?.error !== undefined))
    .map(({ role, content }) => ({ role, content }));
}

function showConversation(next: Conversation): void {
  conversation = running?.conversation.id === next.id ? running.conversation : next;
  store.activeId = conversation.id;
  page.body.classList.remove("sidebar-open");
  renderMessages();
  renderList();
}

function renderList(): void {
  renderConversationList(page.conversationList, store.list(), conversation.id, {
    select: (id) => {
      const chosen = store.get(id);
      if (chosen !== undefined) showConversation(chosen);
    },
    delete: (id) => {
      if (running?.conversation.id === id) running.controller.abort();
      store.delete(id);
      if (conversation.id === id) showConversation(store.list()[0] ?? store.create());
      else renderList();
    },
  });
}

function renderMessages(): void {
  if (running !== undefined) running.view = undefined;
  const views = conversation.messages.map((message) => {
    const view = renderMessage(message, message === running?.message);
    if (message === running?.message) running.view = view;
    return view;
  });
  if (views.length === 0) views.push(element("p", { className: "empty", text: "Ask anything. Enter sends, Shift+Enter starts a new line." }));
  page.messages.replaceChildren(...views);
  page.messages.scrollTop = page.messages.scrollHeight;
}

/** Text arrives a token at a time; the answer is drawn at most once per frame. */
function scheduleRender(): void {
  if (renderPending) return;
  renderPending = true;
  requestAnimationFrame(() => {
    renderPending = false;
    if (running?.view === undefined) return;
    const follow = page.messages.scrollHeight - page.messages.scrollTop - page.messages.clientHeight < followDistancePixels;
    updateMessage(running.view, running.message, true);
    if (follow) page.messages.scrollTop = page.messages.scrollHeight;
  });
}

function setRunning(isRunning: boolean): void {
  page.send.hidden = isRunning;
  page.stop.hidden = !isRunning;
  page.body.classList.toggle("generating", isRunning);
}

function persist(target: Conversation): void {
  try {
    store.save(target);
  } catch {
    showNotice("The browser's storage is full: delete some conversations to keep new ones.");
  }
}

async function loadModels(): Promise<void> {
  const request = ++modelsRequest;
  let models: string[];
  try {
    models = await listModels(settings.apiKey);
  } catch (error) {
    if (request !== modelsRequest) return;
    showNotice(describeError(error));
    if (error instanceof ApiError && error.code === "model_loading") setTimeout(() => void loadModels(), loadingRetryMs);
    if (error instanceof ApiError && error.status === 401) settingsPanel.open("apiKey");
    return;
  }
  if (request !== modelsRequest) return;
  page.model.replaceChildren(...models.map((id) => element("option", { text: id, attributes: { value: id } })));
  page.model.disabled = models.length === 0;
  if (!models.includes(settings.model)) settingsPanel.update({ model: models[0] ?? "" });
  page.model.value = settings.model;
  if (models.length === 0) showNotice("The server lists no model.");
  else hideNotice();
}

function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.code === "missing_api_key") return "This server needs an API key: enter it under Settings.";
    if (error.code === "invalid_api_key") return "The API key is not valid: check it under Settings.";
    return error.message;
  }
  // fetch rejects with a TypeError when the server cannot be reached at all.
  if (error instanceof TypeError) return "Cannot reach the server: is mullama serve still running?";
  return error instanceof Error ? error.message : String(error);
}

function showNotice(text: string): void {
  page.notice.textContent = text;
  page.notice.hidden = false;
}

function hideNotice(): void {
  page.notice.hidden = true;
}
