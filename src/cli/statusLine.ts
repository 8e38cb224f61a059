/**
 * A line on a terminal that is redrawn in place (a progress bar) between lines that stay
 * (steps, messages). On anything that is not a terminal it writes nothing at all: logs
 * and pipes get no carriage returns or escape codes.
 */

/** Where a status line is drawn: stderr, or a fake in tests. */
export interface StatusStream {
  readonly isTTY?: boolean;
  readonly columns?: number;
  write(text: string): unknown;
}

/** Erases the terminal's current line and returns to its start. */
const eraseLine = "\r\x1b[2K";

export class StatusLine {
  readonly #stream: StatusStream;
  #shown = false;

  constructor(stream: StatusStream = process.stderr) {
    this.#stream = stream;
  }

  /** Whether anything is drawn: only on a terminal. */
  get enabled(): boolean {
    return this.#stream.isTTY === true;
  }

  /** The terminal's width; one of unknown width (0 under some pseudo-terminals) counts as 80 columns. */
  get columns(): number {
    return this.#stream.columns || 80;
  }

  /** Replaces the status line with `text`, cut to the terminal's width. */
  draw(text: string): void {
    if (!this.enabled) return;
    this.#stream.write(`${eraseLine}${text.slice(0, Math.max(20, this.columns - 1))}`);
    this.#shown = true;
  }

  /** Writes a line that stays, above the status line (which the next draw brings back). */
  print(text: string): void {
    if (!this.enabled) return;
    this.#stream.write(`${this.#shown ? eraseLine : ""}${text}\n`);
    this.#shown = false;
  }

  /** Removes the status line, leaving the cursor where it began. */
  clear(): void {
    if (this.#shown) this.#stream.write(eraseLine);
    this.#shown = false;
  }

  /** Leaves the status line as it is and moves below it. */
  end(): void {
    if (this.#shown) this.#stream.write("\n");
    this.#shown = false;
  }
}

/** `[#########---------]  50%`: a bar `width` characters wide inside its brackets. */
export function progressBar(fraction: number, width: number): string {
  const clamped = Math.min(1, Math.max(0, fraction));
  const filled = Math.round(clamped * width);
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${`${Math.floor(clamped * 100)}%`.padStart(4)}`;
}
