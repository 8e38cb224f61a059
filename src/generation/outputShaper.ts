/**
 * Turns generated text into content parts other than text (tool calls), inside the one
 * generation loop: the loop hands each piece of text to the shaper and yields what comes
 * back, so tool calls flow through the same stream, driver and formats as text. Without
 * a shaper the loop yields text parts as they are.
 */
import type { ToolCallDeltaPart, ToolCallPart, ToolCallStartPart } from "./parts.js";

/** What a shaper makes of text: visible text, or a step of a tool call. */
export type ShapedOutput = { type: "text"; text: string } | ToolCallStartPart | ToolCallDeltaPart | ToolCallPart;

export interface OutputShaper {
  /** Takes the next piece of generated text; returns what can be told now (it may hold text back). */
  push(text: string): ShapedOutput[];
  /**
   * The generation ended (`complete`: at the end of the turn, not cut short): returns
   * what was held back. Throws when complete output is not what it had to be.
   */
  end(complete: boolean): ShapedOutput[];
}
