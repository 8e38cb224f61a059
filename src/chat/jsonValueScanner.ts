/**
 * Where a JSON value ends, found as its text arrives in pieces: brackets are counted
 * outside strings, so a tool call's arguments can be streamed piece by piece with nothing
 * held back, and the call is complete the moment its arguments close (whatever the
 * format writes after them).
 */

/** Characters that may continue a number or a literal (`true`, `false`, `null`). */
const primitiveCharacter = /[0-9A-Za-z.+-]/;

export class JsonValueScanner {
  #state: "before" | "nested" | "primitive" | "done" | "invalid" = "before";
  #depth = 0;
  #inString = false;
  #escaped = false;

  /** The value is complete. */
  get done(): boolean {
    return this.#state === "done";
  }

  /** Whether the value ends at the end of the text, as a number or literal does. */
  get endsWithText(): boolean {
    return this.#state === "primitive";
  }

  /**
   * Reads the next piece (leading whitespace already left out by the caller): returns how
   * much of it belongs to the value; less than its length when the value ended inside it.
   * Returns 0 at the very start when the text cannot begin a JSON value.
   */
  push(text: string): number {
    for (let index = 0; index < text.length; index++) {
      const character = text[index]!;
      if (this.#state === "before") {
        if (character === "{" || character === "[") this.#depth = 1;
        else if (character === '"') this.#inString = true;
        else if (primitiveCharacter.test(character)) {
          this.#state = "primitive";
          continue;
        } else {
          this.#state = "invalid";
          return 0;
        }
        this.#state = "nested";
        continue;
      }
      if (this.#state === "primitive") {
        if (primitiveCharacter.test(character)) continue;
        this.#state = "done";
        return index;
      }
      if (this.#state !== "nested") return 0;
      if (this.#inString) {
        if (this.#escaped) this.#escaped = false;
        else if (character === "\\") this.#escaped = true;
        else if (character === '"') this.#inString = false;
      } else if (character === '"') this.#inString = true;
      else if (character === "{" || character === "[") this.#depth++;
      else if (character === "}" || character === "]") this.#depth--;
      if (!this.#inString && this.#depth === 0) {
        this.#state = "done";
        return index + 1;
      }
    }
    return text.length;
  }

  /** The first character seen could not begin a value (a call written without arguments). */
  get invalid(): boolean {
    return this.#state === "invalid";
  }
}
