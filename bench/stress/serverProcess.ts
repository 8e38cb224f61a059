/**
 * The server under test: a real `mullama serve` in a process of its own (the CLI, from
 * this checkout's sources), on 127.0.0.1 and a free port, so that its memory is measured
 * apart from the clients' and its death is seen, not shared. Everything here looks at it
 * from outside: its stderr, its JSON log lines, /metrics, and the process's resident memory.
 */
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const repositoryRoot = fileURLToPath(new URL("../../", import.meta.url));
const cliMain = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));

/** Servers still running: killed when this process exits, so that a stopped run leaves none behind. */
const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

export interface ServerFlags {
  parallel: number;
  maxQueue: number;
  contextSize: number;
  /** Fixed decode threads; undefined leaves the server's adaptive default. */
  threads: number | undefined;
  /** How long a native SSE stream whose client dropped keeps going, resumable, in seconds (0: cancelled at once, as on the other protocols). */
  resumeWindowSeconds: number;
}

/** The gauges that say whether the server is idle, read from /metrics. */
export interface ServerLoad {
  busySequences: number;
  queuedGenerations: number;
  webSockets: number;
}

export class StressServer {
  readonly url: string;
  readonly #child: ChildProcess;
  readonly #stderr: () => string;
  /** Log lines at level error or above (genuine faults), as the server wrote them. */
  readonly errorLines: string[] = [];
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;

  private constructor(child: ChildProcess, url: string, stderr: () => string) {
    this.#child = child;
    this.url = url;
    this.#stderr = stderr;
    child.once("exit", (code, signal) => (this.exit = { code, signal }));
    let carry = "";
    child.stdout!.setEncoding("utf8").on("data", (text: string) => {
      const lines = (carry + text).split("\n");
      carry = lines.pop() ?? "";
      for (const line of lines) if (/"level":(5\d|60)/.test(line)) this.errorLines.push(line);
    });
  }

  static async start(flags: ServerFlags, startTimeoutMs = 60_000): Promise<StressServer> {
    const args = ["--import", "tsx", cliMain, "serve", "--host", "127.0.0.1", "--port", "0", "--parallel", String(flags.parallel), "--max-queue", String(flags.maxQueue), "--context-size", String(flags.contextSize)];
    if (flags.threads !== undefined) args.push("--threads", String(flags.threads));
    args.push("--resume-window", String(flags.resumeWindowSeconds));
    const child = spawn(process.execPath, args, { cwd: repositoryRoot, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, MULLAMA_API_KEY: "" } });
    running.add(child);
    child.once("exit", () => running.delete(child));
    let stderr = "";
    child.stderr!.setEncoding("utf8").on("data", (text: string) => (stderr += text));
    const deadline = performance.now() + startTimeoutMs;
    let url: string | undefined;
    while (url === undefined) {
      url = /serving (http:\/\/\S+)/.exec(stderr)?.[1];
      if (child.exitCode !== null || performance.now() > deadline) {
        child.kill("SIGKILL");
        throw new Error(`mullama serve did not start: ${stderr}`);
      }
      await delay(20);
    }
    return new StressServer(child, url, () => stderr);
  }

  get pid(): number {
    return this.#child.pid!;
  }

  get stderr(): string {
    return this.#stderr();
  }

  /** The server process's resident memory, in bytes. */
  residentBytes(): number {
    if (process.platform === "linux") {
      const kilobytes = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${this.pid}/status`, "utf8"))?.[1];
      return Number(kilobytes) * 1024;
    }
    return Number(execFileSync("ps", ["-o", "rss=", "-p", String(this.pid)], { encoding: "utf8" }).trim()) * 1024;
  }

  async metrics(): Promise<string> {
    return (await fetch(`${this.url}/metrics`)).text();
  }

  async load(): Promise<ServerLoad> {
    const text = await this.metrics();
    const gauge = (name: string) => Number(new RegExp(`^${name} (\\d+)$`, "m").exec(text)?.[1] ?? Number.NaN);
    return { busySequences: gauge("mullama_sequences_busy"), queuedGenerations: gauge("mullama_queue_depth"), webSockets: gauge("mullama_websocket_connections") };
  }

  /**
   * Polls /metrics until no sequence is busy, nothing waits and no WebSocket is open;
   * resolves to the milliseconds that took, or undefined past `timeoutMs` (a leak).
   */
  async waitForIdle(timeoutMs: number): Promise<{ milliseconds: number | undefined; load: ServerLoad }> {
    const started = performance.now();
    for (;;) {
      const load = await this.load();
      const milliseconds = performance.now() - started;
      if (load.busySequences === 0 && load.queuedGenerations === 0 && load.webSockets === 0) return { milliseconds, load };
      if (milliseconds > timeoutMs) return { milliseconds: undefined, load };
      await delay(5);
    }
  }

  /** One series of /metrics (`name{label="value"}`), 0 when absent. */
  async series(name: string): Promise<number> {
    const line = (await this.metrics()).split("\n").find((candidate) => candidate.startsWith(`${name} `));
    return line === undefined ? 0 : Number(line.slice(name.length + 1));
  }

  /** Answers with a 5xx other than 503, by route and status, from the request counter. */
  async serverErrors(): Promise<Record<string, number>> {
    const errors: Record<string, number> = {};
    for (const match of (await this.metrics()).matchAll(/^mullama_http_requests_total\{method="(\w+)",route="([^"]*)",status="(5\d\d)"\} (\d+)$/gm)) {
      if (match[3] !== "503") errors[`${match[1]} ${match[2]} ${match[3]}`] = Number(match[4]);
    }
    return errors;
  }

  /** SIGTERM, as an operator stops it; resolves to the exit code (null after a kill at `timeoutMs`). */
  async stop(timeoutMs = 30_000): Promise<number | null> {
    if (this.exit === undefined) {
      const exited = new Promise<void>((resolve) => this.#child.once("exit", () => resolve()));
      this.#child.kill("SIGTERM");
      const timer = setTimeout(() => this.#child.kill("SIGKILL"), timeoutMs);
      await exited;
      clearTimeout(timer);
    }
    return this.exit!.signal === null ? this.exit!.code : null;
  }
}

function delay(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}
