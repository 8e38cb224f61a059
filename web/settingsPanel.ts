/**
 * The settings panel: system prompt, temperature, most tokens per answer, API key. Each
 * field saves as it changes; a value that is not valid puts the field back to the last
 * good one instead of sending the server something it would refuse.
 */
import { byId } from "./dom.js";
import { parseMaxTokens, parseTemperature, saveSettings, type Settings } from "./settings.js";

export interface SettingsPanel {
  /** Changes settings and saves them. */
  update(changes: Partial<Settings>): void;
  /** Shows the panel, with the focus in the API key field when asked. */
  open(field?: "apiKey"): void;
}

export function bindSettingsPanel(settings: Settings, storage: Storage, events: { apiKeyChanged(): void }): SettingsPanel {
  const toggle = byId("toggle-settings", HTMLButtonElement);
  // A form, as browsers expect around a password field; it is never submitted.
  const panel = byId("settings", HTMLFormElement);
  const systemPrompt = byId("system-prompt", HTMLTextAreaElement);
  const temperature = byId("temperature", HTMLInputElement);
  const maxTokens = byId("max-tokens", HTMLInputElement);
  const apiKey = byId("api-key", HTMLInputElement);

  systemPrompt.value = settings.systemPrompt;
  temperature.value = String(settings.temperature);
  maxTokens.value = settings.maxTokens === undefined ? "" : String(settings.maxTokens);
  apiKey.value = settings.apiKey;

  const update = (changes: Partial<Settings>) => {
    Object.assign(settings, changes);
    try {
      saveSettings(storage, settings);
    } catch {
      // A full storage keeps the settings for this visit only.
    }
  };
  const setOpen = (open: boolean) => {
    panel.hidden = !open;
    toggle.setAttribute("aria-expanded", String(open));
  };

  systemPrompt.addEventListener("input", () => update({ systemPrompt: systemPrompt.value }));
  temperature.addEventListener("change", () => {
    const value = parseTemperature(temperature.value);
    if (value === undefined) temperature.value = String(settings.temperature);
    else update({ temperature: value });
  });
  maxTokens.addEventListener("change", () => {
    const value = parseMaxTokens(maxTokens.value);
    if (value === undefined && maxTokens.value.trim() !== "") maxTokens.value = settings.maxTokens === undefined ? "" : String(settings.maxTokens);
    else update({ maxTokens: value });
  });
  apiKey.addEventListener("change", () => {
    update({ apiKey: apiKey.value.trim() });
    events.apiKeyChanged();
  });
  toggle.addEventListener("click", () => setOpen(panel.hidden === true));
  panel.addEventListener("submit", (event) => event.preventDefault());

  return {
    update,
    open(field) {
      setOpen(true);
      if (field === "apiKey") apiKey.focus();
    },
  };
}
