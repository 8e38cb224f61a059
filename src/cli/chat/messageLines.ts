/**
 * Lines in, messages out: a line that ends with a backslash continues on the next line
 * (the backslash is dropped), as in a shell; lines that arrive as one paste stay one
 * message. Used for the terminal and for piped input alike.
 */
export class MessageLines {
  readonly #lines: string[] = [];

  /** Whether a message has been started and not finished (the prompt shows that). */
  get pending(): boolean {
    return this.#lines.length > 0;
  }

  /**
   * Adds a line. Returns the finished message, or undefined while it goes on: after a
   * trailing backslash, or when `continued` (the line came inside a paste).
   */
  push(line: string, continued = false): string | undefined {
    if (line.endsWith("\\")) {
      this.#lines.push(line.slice(0, -1));
      return undefined;
    }
    this.#lines.push(line);
    if (continued) return undefined;
    const message = this.#lines.join("\n");
    this.#lines.length = 0;
    return message;
  }

  /** Forgets a message in progress (Ctrl-C at a continuation line). */
  reset(): void {
    this.#lines.length = 0;
  }

  /** What is left at the end of the input: a message whose last line still ended in a backslash. */
  flush(): string | undefined {
    if (this.#lines.length === 0) return undefined;
    const message = this.#lines.join("\n");
    this.#lines.length = 0;
    return message;
  }
}
