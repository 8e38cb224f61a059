/**
 * A real terminal for tests: a tmux session on a server of its own (its own socket, so a
 * person's tmux is never touched), driven by keys and read back as the screen shows it.
 */
import { execFileSync } from "node:child_process";

export class TerminalSession {
  readonly #socket: string;
  readonly #name = "test";

  private constructor(socket: string) {
    this.#socket = socket;
  }

  /**
   * Runs `command` (a shell command line) in a new terminal of `columns` x `rows`. When it
   * ends, the terminal shows `EXIT=<code>` and stays open until `close()`.
   */
  static start(command: string, options: { cwd: string; columns?: number; rows?: number; env?: Record<string, string> }): TerminalSession {
    const session = new TerminalSession(`mullama-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
    const environment = Object.entries(options.env ?? {}).map(([name, value]) => `${name}=${shellQuote(value)} `).join("");
    session.#tmux("new-session", "-d", "-s", session.#name, "-x", String(options.columns ?? 120), "-y", String(options.rows ?? 40), "-c", options.cwd, `${environment}${command}; echo EXIT=$?; sleep 600`);
    return session;
  }

  /** Presses keys, in tmux's names: "Enter", "Up", "C-c", "C-d", or text sent as typed. */
  press(...keys: string[]): void {
    this.#tmux("send-keys", "-t", this.#name, ...keys);
  }

  /** Types text literally (no key names). */
  type(text: string): void {
    this.#tmux("send-keys", "-t", this.#name, "-l", text);
  }

  /** Pastes text the way a terminal does, bracketed when the program asked for that. */
  paste(text: string): void {
    this.#tmux("set-buffer", "-b", "test-paste", text);
    this.#tmux("paste-buffer", "-p", "-d", "-b", "test-paste", "-t", this.#name);
  }

  /** The screen's text and its scrollback, wrapped lines joined, trailing blank lines dropped. */
  screen(): string {
    return this.#tmux("capture-pane", "-p", "-J", "-S", "-", "-t", this.#name).replace(/\s+$/, "");
  }

  /** Waits until the screen matches; returns the match. Fails with the screen after `timeoutMs`. */
  async waitFor(pattern: RegExp, timeoutMs = 30_000): Promise<RegExpMatchArray> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const match = this.screen().match(pattern);
      if (match !== null) return match;
      if (performance.now() > deadline) throw new Error(`the terminal never showed ${pattern}; it shows:\n${this.screen()}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  close(): void {
    try {
      this.#tmux("kill-server");
    } catch {
      // Already gone.
    }
  }

  #tmux(...args: string[]): string {
    return execFileSync("tmux", ["-L", this.#socket, "-f", "/dev/null", ...args], { encoding: "utf8" });
  }
}

/** Whether tmux can be run here. */
export function tmuxAvailable(): boolean {
  try {
    execFileSync("tmux", ["-V"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}
