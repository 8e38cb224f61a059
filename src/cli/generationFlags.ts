/**
 * The sampling settings a person can give: as flags of `run` and `chat` (`--temperature
 * 0.2`) and, in a chat, with `/set temperature 0.2`. One table says how each is parsed,
 * so both read the same values the same way.
 */
import type { GenerationOptions } from "../generation/options.js";
import { definedOnly, integerFlag, numberFlag } from "./flags.js";
import type { generationOptionNames } from "./options.js";

/** The generation options a person sets: numbers and stop strings. */
export type GenerationSettings = Pick<GenerationOptions, "maxTokens" | "temperature" | "topK" | "topP" | "minP" | "repeatPenalty" | "seed"> & { stop?: string[] };

/** A numeric setting: its option name and how its text parses (errors name the flag). */
interface NumericSetting {
  readonly key: Exclude<keyof GenerationSettings, "stop">;
  parse(text: string): number | undefined;
}

/** The numeric settings, by flag name. */
export const numericSettings: Record<Exclude<(typeof generationOptionNames)[number], "stop">, NumericSetting> = {
  "max-tokens": { key: "maxTokens", parse: (text) => integerFlag("max-tokens", text) },
  temperature: { key: "temperature", parse: (text) => numberFlag("temperature", text, { min: 0 }) },
  "top-k": { key: "topK", parse: (text) => integerFlag("top-k", text, { min: 0 }) },
  "top-p": { key: "topP", parse: (text) => numberFlag("top-p", text, { min: 0, max: 1 }) },
  "min-p": { key: "minP", parse: (text) => numberFlag("min-p", text, { min: 0, max: 1 }) },
  "repeat-penalty": { key: "repeatPenalty", parse: (text) => numberFlag("repeat-penalty", text, { min: Number.MIN_VALUE }) },
  seed: { key: "seed", parse: (text) => integerFlag("seed", text, { min: 0, max: 0xffff_ffff }) },
};

/** The settings given as flags; the ones not given are left out, so the library's defaults apply. */
export function generationSettingsFromFlags(values: Partial<Record<(typeof generationOptionNames)[number], string | string[]>>): GenerationSettings {
  const settings: GenerationSettings = {};
  for (const [flag, setting] of Object.entries(numericSettings)) {
    const text = values[flag as keyof typeof numericSettings];
    if (typeof text === "string") settings[setting.key] = setting.parse(text);
  }
  const stop = values.stop;
  return definedOnly({ ...settings, stop: Array.isArray(stop) && stop.length > 0 ? stop : undefined });
}
