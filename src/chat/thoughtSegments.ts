/**
 * Thinking the model writes before (or between) its answer, in its chat format's own
 * markers (`<think>` ... `</think>` for Qwen 3, DeepSeek R1, QwQ; others as
 * engine/outputSyntax.ts reads them): turned into `reasoning` output, or left out when
 * the caller did not ask for it. The whitespace a format puts around the markers is
 * neither reasoning nor text. Text goes out as it comes, except what could still be a
 * marker.
 */
import type { ThoughtSyntax } from "../engine/outputSyntax.js";
import type { OutputShaper, ShapedOutput } from "../generation/outputShaper.js";
import { findMarker, trimmedEnd, withoutLeadingWhitespace } from "./markers.js";

export class ThoughtShaper implements OutputShaper {
  readonly readsSpecialTokens = true;
  readonly #syntax: ThoughtSyntax;
  readonly #keep: boolean;
  #inThought: boolean;
  #buffer = "";
  /** At the start of a segment, its leading whitespace is dropped. */
  #segmentStart = true;

  /** `keep`: whether thinking comes out as reasoning (true) or is dropped. */
  constructor(syntax: ThoughtSyntax, keep: boolean) {
    this.#syntax = syntax;
    this.#keep = keep;
    this.#inThought = syntax.opensAtStart;
  }

  push(text: string): ShapedOutput[] {
    this.#buffer += text;
    const out: ShapedOutput[] = [];
    for (;;) {
      // A thought opened by the prompt may still be opened again by the model.
      const markers = this.#inThought ? [this.#syntax.suffix] : [this.#syntax.prefix];
      if (this.#inThought && this.#segmentStart) markers.push(this.#syntax.prefix);
      const search = findMarker(this.#buffer, markers.filter((marker) => marker.trim() !== ""));
      if (search.kind === "absent") {
        // Trailing whitespace may be what comes before a closing marker.
        const end = this.#inThought ? trimmedEnd(this.#buffer) : this.#buffer.length;
        this.#emit(out, this.#buffer.slice(0, end));
        this.#buffer = this.#buffer.slice(end);
        return out;
      }
      // The whitespace before a thought's closing marker is part of the marker.
      const before = this.#inThought ? trimmedEnd(this.#buffer.slice(0, search.start)) : search.start;
      this.#emit(out, this.#buffer.slice(0, before));
      if (search.kind === "possible") {
        this.#buffer = this.#buffer.slice(before);
        return out;
      }
      this.#buffer = this.#buffer.slice(search.end);
      if (search.marker === this.#syntax.suffix || !this.#inThought) this.#inThought = !this.#inThought;
      this.#segmentStart = true;
    }
  }

  end(): ShapedOutput[] {
    const out: ShapedOutput[] = [];
    this.#emit(out, this.#inThought ? this.#buffer.slice(0, trimmedEnd(this.#buffer)) : this.#buffer);
    this.#buffer = "";
    return out;
  }

  #emit(out: ShapedOutput[], text: string): void {
    if (this.#segmentStart) {
      text = withoutLeadingWhitespace(text);
      if (text === "") return;
      this.#segmentStart = false;
    }
    if (text === "") return;
    if (!this.#inThought) out.push({ type: "text", text });
    else if (this.#keep) out.push({ type: "reasoning", text });
  }
}
