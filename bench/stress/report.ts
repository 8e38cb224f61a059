/**
 * The "Load and faults" section of docs/RELIABILITY.md, written between its own markers
 * so that other sections of the file (written by other tools) stay as they are.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { describeMachine } from "../machine.ts";
import { megabytes, table } from "../markdown.ts";
import { nearTieGap } from "./nearTie.ts";
import { problemsOf, type StressFigures } from "./suite.ts";
import { percentile, type PhaseTally } from "./tally.ts";

export const sectionStart = "<!-- stress:start -->";
export const sectionEnd = "<!-- stress:end -->";

const phaseDescriptions: Record<string, string> = {
  "sequential baseline": "each request alone, one after the other: the texts the others must match",
  "concurrent clients": "every client at once, all protocols mixed; a 503 is retried after its Retry-After",
  "hang-up storm": "clients cut at a random point: socket cut mid-headers, mid-body or mid-upgrade, non-streamed request aborted, long prompt aborted during prefill, stream aborted after 1-40 pieces (fetch abort, WebSocket close or cut); a fifth are well-behaved",
  "slow and silent readers": "readers taking a chunk a second, and silent readers reading nothing until a wave of well-behaved clients is served, then half read the rest and half hang up",
  soak: "client loops drawing the above at random (70% well-behaved) until the time is up",
};

/** `load`: the load averages before and after the run; other work on the machine slows every timing. */
export function stressSection(figures: StressFigures, command: string, load: { before: string; after: string }): string {
  const { profile, resident } = figures;
  const problems = problemsOf(figures);
  const milliseconds = (value: number | undefined) => (value === undefined || Number.isNaN(value) ? "n/a" : `${value.toFixed(0)} ms`);
  const row = (phase: PhaseTally) => [
    phase.name,
    phaseDescriptions[phase.name] ?? "",
    String(phase.requests),
    String(phase.completed),
    `${phase.busy} (${phase.busyWithRetryAfter})`,
    phase.compared === 0 ? "n/a" : `${phase.equal} / ${phase.compared}${phase.nearTies.length === 0 ? "" : ` (${phase.nearTies.length} near-tie${phase.nearTies.length === 1 ? "" : "s"})`}`,
    `${phase.hangUpPoints["before headers"]} / ${phase.hangUpPoints["before the first token"]} / ${phase.hangUpPoints["mid-stream"]} / ${phase.hangUpPoints["after silence"]}`,
    phase.firstPieceMs.length === 0 ? "n/a" : `${milliseconds(percentile(phase.firstPieceMs, 0.5))} / ${milliseconds(percentile(phase.firstPieceMs, 0.95))}`,
    phase.idleMs === undefined ? "**never**" : milliseconds(phase.idleMs),
    `${(phase.wallMs / 1000).toFixed(1)} s`,
  ];
  const hangs = figures.phases.reduce((sum, phase) => sum + phase.hangs, 0);
  const serverErrors = Object.values(figures.serverErrors).reduce((sum, count) => sum + count, 0);
  return [
    sectionStart,
    "## Load and faults",
    "",
    `Written by \`${command}\` on ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC in ${(figures.wallMs / 1000).toFixed(0)} s (seed ${profile.seed}).`,
    "",
    `Server: \`mullama serve --parallel ${profile.parallel} --max-queue ${profile.maxQueue} --context-size ${profile.contextSize}${profile.threads === undefined ? "" : ` --threads ${profile.threads}`} --resume-window ${profile.resumeWindowSeconds}\` on the demo model, a process of its own on 127.0.0.1.`,
    ...(profile.resumeWindowSeconds === 0 ? ["With `--resume-window 0` a native SSE client that leaves cancels its generation at once, as on the other protocols (resumable streams have their own seeded cut-and-resume test)."] : []),
    `Machine: ${describeMachine()}. Load average (1, 5, 15 min) before: ${load.before}; after: ${load.after}.`,
    "",
    "Clients: the `openai` package (chat and completions, streamed and not), the `ollama` package (generate and chat, streamed and not), `fetch` on the native SSE route, `ws` on `/ws`, raw sockets and `node:http` readers; every request greedy (temperature 0).",
    `Long prompts (prefill hang-ups): ${figures.longPrompt.tokens} tokens, ${milliseconds(figures.longPrompt.prefillMs)} to the first token when served alone.`,
    "",
    table(
      ["phase", "what", "requests", "completed", "503 (with Retry-After)", "texts equal to sequential", "hang-ups: before headers / before first token / mid-stream / after silence", "time to first token p50 / p95", "back to idle", "wall"],
      figures.phases.map(row),
    ),
    "",
    table(
      ["server", ""],
      [
        ["resident memory", `${megabytes(resident.start)} ready, ${megabytes(resident.afterBaseline)} after the baseline, ${megabytes(resident.end)} at the end (most: ${megabytes(resident.max)})`],
        ["generations cancelled because their client left (`stop_reason=\"abort\"`)", String(figures.cancelledGenerations)],
        ["5xx other than 503", String(serverErrors)],
        [`hangs (no answer within ${profile.requestTimeoutMs / 1000} s)`, String(hangs)],
        ["clients stuck in their own library after their hang-up (Node's fetch: an abort that lands as the body ends can leave the body's reader pending; reproduced without mullama)", String(figures.phases.reduce((sum, phase) => sum + phase.clientsStuck, 0))],
        ["error log lines", String(figures.errorLogLines.length)],
        ["process deaths", figures.diedDuring === undefined ? "0" : `1 (during the ${figures.diedDuring})`],
        ["SIGTERM at the end", figures.exitCode === null ? "killed" : `exit ${figures.exitCode}`],
      ],
    ),
    "",
    ...nearTies(figures),
    problems.length === 0 ? "**Held**: no failure, hang, 5xx, different text, unclean 503 or death." : `**${problems.length} problems:**\n\n${problems.map((problem) => `- ${problem}`).join("\n")}`,
    "",
    "How to read it: requests count every attempt (a 503 and its retry are two). A 503 is clean when it comes in the protocol's error shape with a `Retry-After` of whole seconds (a WebSocket has no headers: its refusal is an `error` message with code `SERVER_BUSY`, and the client waits a second). Time to first token is measured by the client, from sending its request to the first piece of text, queueing included, per attempt, on streamed answers only. Back to idle: from the last client's end to `/metrics` showing no busy sequence, no queued generation and no open WebSocket. A hang-up's point is what the client saw: no headers yet, headers but no token, or tokens.",
    `A text different from the sequential one is judged by walking the request's greedy path alone with the engine's probabilities (bench/stress/nearTie.ts): where it took the runner-up of two tokens less than ${nearTieGap} apart in log-probability, it is a near-tie, reported but not a failure (where such flips come from is not pinned down: in isolation the engine's logits are bit-identical batched or alone, after cache fragmentation and after prefix reuse); any other difference is a problem.`,
    "",
    silentReaders(figures),
    sectionEnd,
  ].join("\n");
}

function nearTies(figures: StressFigures): string[] {
  const ties = figures.phases.flatMap((phase) => phase.nearTies.map((tie) => `- ${phase.name}: ${tie}`));
  return ties.length === 0 ? [] : ["Near-ties (a text that took the runner-up where the two likeliest tokens were nearly tied):", "", ...ties, ""];
}

function silentReaders(figures: StressFigures): string {
  const readers = figures.phases.find((phase) => phase.busyAtSilenceEnd !== undefined);
  if (readers === undefined) return "";
  const largest = `${(readers.silentReaderBytes / 1024).toFixed(0)} KiB`;
  const seen =
    readers.busyAtSilenceEnd === 0
      ? `no sequence was busy: their generations had run to the end, and their answers (up to ${largest}) waited in the kernel's socket buffers, not in the server's memory. On loopback these buffers take more than a whole answer of the demo model.`
      : `${readers.busyAtSilenceEnd} sequences were still busy: generations paused until their readers read (answers up to ${largest}).`;
  return `Silent readers: when their silence ended, ${seen} Against a peer whose TCP window stays closed, a write waits for \`drain\` and the generation waits with it, and no keep-alive piles up behind it (test/unit/driveStream.test.ts, test/unit/streamingResponse.test.ts).`;
}

/** Replaces the section between its markers, or adds it (creating the file if need be). */
export function writeSection(path: string, section: string): void {
  const current = existsSync(path) ? readFileSync(path, "utf8") : "# Reliability\n";
  const start = current.indexOf(sectionStart);
  const end = current.indexOf(sectionEnd);
  const next = start !== -1 && end > start ? current.slice(0, start) + section + current.slice(end + sectionEnd.length) : `${current.trimEnd()}\n\n${section}\n`;
  writeFileSync(path, next);
}
