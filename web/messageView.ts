/**
 * One message on screen. The user's text is shown as written (textContent, line breaks
 * kept by CSS); the model's answer as Markdown (markdownDom.ts), followed by a line of
 * speed figures, "stopped", or what went wrong.
 */
import type { StoredMessage } from "./conversations.js";
import { element } from "./dom.js";
import { renderMarkdown } from "./markdownDom.js";
import { formatStats } from "./stats.js";

export function renderMessage(message: StoredMessage, streaming = false): HTMLElement {
  const view = element("article", { className: `message ${message.role}` }, element("div", { className: "message-body" }), element("div", { className: "message-meta" }));
  updateMessage(view, message, streaming);
  return view;
}

export function updateMessage(view: HTMLElement, message: StoredMessage, streaming: boolean): void {
  const [body, meta] = view.children as unknown as [HTMLElement, HTMLElement];
  view.classList.toggle("streaming", streaming);
  view.classList.toggle("failed", message.error !== undefined);
  if (message.role === "user") body.textContent = message.content;
  else body.replaceChildren(renderMarkdown(message.content));
  const notes: string[] = [];
  if (message.error !== undefined) notes.push(message.error);
  if (message.stopped === true) notes.push("stopped");
  if (message.stats !== undefined) notes.push(formatStats(message.stats));
  if (message.truncated === true) notes.push("token limit reached");
  meta.textContent = notes.join(" · ");
  meta.hidden = notes.length === 0;
}
