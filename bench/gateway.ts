/**
 * What one gateway process can carry: `mullama serve --upstream` (in this process) in
 * front of a synthetic upstream that streams tokens with no model (bench/gatewayPeer.ts,
 * another process, which also runs the clients). Only this process's CPU time is counted,
 * so the figures are the gateway's own cost: streams per second when streams are short and
 * tokens come as fast as the upstream can send them, and how many concurrent streams one
 * core carries when tokens come at a real engine's pace (one per 50 ms).
 */
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createServer } from "../src/server/index.ts";
import type { LoadCommand, LoadResult } from "./gatewayPeer.ts";
import { pacedIntervalMs } from "./syntheticUpstream.ts";

export interface GatewayRow {
  load: string;
  streamsPerSecond: number;
  tokensPerSecond: number;
  /** Cores the gateway process kept busy. */
  cores: number;
  failed: number;
}

export interface GatewayMeasurement {
  rows: GatewayRow[];
  /** Short streams completed per second per core of the gateway, at the largest fast load. */
  streamsPerSecondPerCore: number;
  /** Streams at a real engine's pace (one token per 50 ms) one gateway core carries at once: its tokens per second per core at the largest paced load, divided by one stream's 20 tokens per second (so a loaded machine that could not keep the pace does not inflate it). */
  concurrentStreamsPerCore: number;
}

export async function benchmarkGateway(options: { quick: boolean }): Promise<GatewayMeasurement> {
  const peer = fork(fileURLToPath(new URL("./gatewayPeer.ts", import.meta.url)), [], { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const ask = <Answer>(message: unknown) => new Promise<Answer>((resolve) => (peer.once("message", (answer) => resolve(answer as Answer)), peer.send(message as object)));
  const { baseUrl } = await ask<{ baseUrl: string }>({ type: "start" });
  // No limit of the gateway's own gets in the way: what is measured is its cost per stream.
  const server = createServer({ port: 0, upstreams: [baseUrl], upstreamMaxInFlight: 100_000, maxQueue: 0, ui: false });
  const { url } = await server.listen();
  const durationMs = options.quick ? 2_000 : 10_000;
  const run = async (load: string, command: Omit<LoadCommand, "type" | "gatewayUrl" | "durationMs">): Promise<GatewayRow> => {
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const result = await ask<LoadResult>({ type: "load", gatewayUrl: url, durationMs, ...command });
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    return { load, streamsPerSecond: result.completed / seconds, tokensPerSecond: (result.completed * command.tokens) / seconds, cores: (cpu.user + cpu.system) / 1e6 / seconds, failed: result.failed };
  };
  try {
    await run("warm-up", { model: "fast", clients: 8, tokens: 16 });
    const rows: GatewayRow[] = [];
    for (const clients of options.quick ? [32] : [8, 32, 128]) rows.push(await run(`${clients} clients, 16-token streams, tokens as fast as possible`, { model: "fast", clients, tokens: 16 }));
    // A paced stream lasts the whole window, so `streams` are open at once throughout.
    const pacedTokens = Math.floor(durationMs / pacedIntervalMs);
    for (const streams of options.quick ? [200] : [200, 1000]) rows.push(await run(`${streams} concurrent streams, one token per ${pacedIntervalMs} ms`, { model: "paced", clients: streams, tokens: pacedTokens }));
    const fast = rows.filter((row) => row.load.includes("as fast")).at(-1)!;
    const paced = rows.filter((row) => row.load.includes("concurrent")).at(-1)!;
    const streamTokensPerSecond = 1000 / pacedIntervalMs;
    return { rows, streamsPerSecondPerCore: fast.streamsPerSecond / fast.cores, concurrentStreamsPerCore: paced.tokensPerSecond / paced.cores / streamTokensPerSecond };
  } finally {
    await server.close();
    peer.disconnect();
  }
}
