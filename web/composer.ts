/**
 * The text box and its buttons: Enter sends, Shift+Enter starts a new line (and Enter
 * while an input method is composing belongs to the input method); Escape or the Stop
 * button stops the answer. The box grows with its text, up to a limit set in CSS.
 */
import { byId } from "./dom.js";

export interface ComposerActions {
  /** Returns false when the text could not be sent: it then stays in the box. */
  send(text: string): boolean;
  stop(): void;
}

export function bindComposer(actions: ComposerActions): { focus(): void } {
  const form = byId("composer", HTMLFormElement);
  const prompt = byId("prompt", HTMLTextAreaElement);
  const stop = byId("stop", HTMLButtonElement);

  const resize = () => {
    prompt.style.height = "auto";
    prompt.style.height = `${prompt.scrollHeight}px`;
  };
  const submit = () => {
    if (prompt.value.trim() === "" || !actions.send(prompt.value)) return;
    prompt.value = "";
    resize();
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit();
  });
  prompt.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submit();
    } else if (event.key === "Escape") {
      actions.stop();
    }
  });
  prompt.addEventListener("input", resize);
  stop.addEventListener("click", () => actions.stop());
  return { focus: () => prompt.focus() };
}
