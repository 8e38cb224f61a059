/** The list of stored conversations in the sidebar: pick one to show it, or delete it. */
import type { Conversation } from "./conversations.js";
import { element } from "./dom.js";

export interface ConversationListActions {
  select(id: string): void;
  delete(id: string): void;
}

export function renderConversationList(list: HTMLElement, conversations: readonly Conversation[], activeId: string, actions: ConversationListActions): void {
  list.replaceChildren(
    ...conversations.map((conversation) => {
      const open = element("button", { className: "conversation-open", text: conversation.title, attributes: { type: "button", title: conversation.title } });
      open.addEventListener("click", () => actions.select(conversation.id));
      const remove = element("button", { className: "conversation-delete", text: "×", attributes: { type: "button", "aria-label": `Delete "${conversation.title}"`, title: "Delete" } });
      remove.addEventListener("click", () => actions.delete(conversation.id));
      const item = element("li", { className: "conversation" }, open, remove);
      if (conversation.id === activeId) {
        item.classList.add("active");
        open.setAttribute("aria-current", "true");
      }
      return item;
    }),
  );
}
