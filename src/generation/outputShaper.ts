/**
 * Turns generated text into content parts other than text (reasoning, tool calls), inside the one
 * generation loop: the loop hands each piece of text to the shaper and yields what comes
 * back, so tool calls flow through the same stream, driver and formats as text. Without
 * a shaper the loop yields text parts as they are.
 */
import type { ReasoningPart, ToolCallDeltaPart, ToolCallPart, ToolCallStartPart } from "./parts.js";

/** What a shaper makes of text: visible text, reasoning, or a step of a tool call. */
export type ShapedOutput = { type: "text"; text: string } | ReasoningPart | ToolCallStartPart | ToolCallDeltaPart | ToolCallPart;

export interface OutputShaper {
  /**
   * The shaper looks for a chat format's markers, which may be special tokens (DeepSeek's
   * `<｜tool▁call▁begin｜>`): the text it is given includes special tokens' text, which
   * plain generations leave out. Defaults to false.
   */
  readonly readsSpecialTokens?: boolean;
  /** Takes the next piece of generated text; returns what can be told now (it may hold text back). */
  push(text: string): ShapedOutput[];
  /**
   * The generation ended (`complete`: at the end of the turn, not cut short): returns
   * what was held back. Throws when complete output is not what it had to be.
   */
  end(complete: boolean): ShapedOutput[];
}

/** Shapers one after the other: the text that one lets through goes to the next. */
export function chainShapers(shapers: readonly OutputShaper[]): OutputShaper | undefined {
  if (shapers.length <= 1) return shapers[0];
  const through = (outputs: ShapedOutput[], next: readonly OutputShaper[], complete: boolean | undefined): ShapedOutput[] => {
    const [shaper, ...rest] = next;
    if (shaper === undefined) return outputs;
    const shaped = outputs.flatMap((output) => (output.type === "text" ? shaper.push(output.text) : [output]));
    if (complete !== undefined) shaped.push(...shaper.end(complete));
    return through(shaped, rest, complete);
  };
  const [first, ...rest] = shapers;
  return {
    readsSpecialTokens: shapers.some((shaper) => shaper.readsSpecialTokens === true),
    push: (text) => through(first!.push(text), rest, undefined),
    end: (complete) => through(first!.end(complete), rest, complete),
  };
}
