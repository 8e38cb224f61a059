/**
 * What the user sets once and keeps across reloads (localStorage): the model, the system
 * prompt, sampling, and the server's API key. The key is stored in this origin's storage
 * in the browser, where any script of this origin could read it: the page's strict
 * Content-Security-Policy allows none but its own.
 */

export interface Settings {
  /** The model to ask; empty until the server lists one. */
  model: string;
  /** Sent as the first message when not empty. */
  systemPrompt: string;
  /** From 0 (always the likeliest token) to 2. Defaults to 0.7. */
  temperature: number;
  /** Most tokens per answer; undefined lets the server decide (the rest of the context). */
  maxTokens: number | undefined;
  /** Sent as `Authorization: Bearer` when not empty. */
  apiKey: string;
}

const settingsKey = "mullama.settings";

export const defaultSettings: Readonly<Settings> = { model: "", systemPrompt: "", temperature: 0.7, maxTokens: undefined, apiKey: "" };

export function loadSettings(storage: Storage): Settings {
  let stored: Partial<Record<keyof Settings, unknown>> = {};
  try {
    const parsed: unknown = JSON.parse(storage.getItem(settingsKey) ?? "{}");
    if (typeof parsed === "object" && parsed !== null) stored = parsed;
  } catch {
    // Damaged settings fall back to the defaults.
  }
  return {
    model: typeof stored.model === "string" ? stored.model : defaultSettings.model,
    systemPrompt: typeof stored.systemPrompt === "string" ? stored.systemPrompt : defaultSettings.systemPrompt,
    temperature: parseTemperature(stored.temperature) ?? defaultSettings.temperature,
    maxTokens: parseMaxTokens(stored.maxTokens),
    apiKey: typeof stored.apiKey === "string" ? stored.apiKey : defaultSettings.apiKey,
  };
}

export function saveSettings(storage: Storage, settings: Settings): void {
  storage.setItem(settingsKey, JSON.stringify(settings));
}

/** A temperature from a form field or from storage; undefined when it is not one. */
export function parseTemperature(value: unknown): number | undefined {
  const number = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  return typeof number === "number" && Number.isFinite(number) && number >= 0 && number <= 2 ? number : undefined;
}

/** A positive whole number of tokens; undefined (no limit) for anything else, an empty field included. */
export function parseMaxTokens(value: unknown): number | undefined {
  const number = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  return typeof number === "number" && Number.isSafeInteger(number) && number >= 1 ? number : undefined;
}
