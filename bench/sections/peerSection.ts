/**
 * Row 9, `npm run bench -- --peer` (issue 12): `mullama serve` against llama.cpp's own
 * `llama-server`, side by side in one run, the same OpenAI streaming client against both.
 * The peer binary comes from `npm run peer:build` or `LLAMA_SERVER=/path` (bench/peer/).
 */
import { availableParallelism } from "node:os";
import { loadEngine } from "../../src/engine/llama.ts";
import { nodeLlamaCppVersion } from "../../src/engine/engineVersion.ts";
import { readLocalEngineRecord } from "../../src/engine/localEngine/engineRecord.ts";
import { adaptiveThreadSettings } from "../../src/engine/threads.ts";
import { table } from "../markdown.ts";
import type { BenchmarkSection, SummaryLine } from "../section.ts";
import { formatSpread, pairedRatios, spread } from "../stats.ts";
import { findLlamaBench, findLlamaServer } from "../peer/peerBinary.ts";
import { formatLlamaBench, runLlamaBench, type LlamaBenchResult } from "../peer/llamaBench.ts";
import { measurePair, oneStreamSamples, warmPrefixSamples, type PeerWorkload, type SideSeries } from "../peer/peerWorkloads.ts";
import { startLlamaServer, startMullama, type PeerServerOptions, type ServerProcess } from "../peer/serverProcess.ts";

const parallel = 8;
const contextSize = 1024;
const tokens = 64;
const longPromptTokens = 512;

interface Configuration {
  label: string;
  threads: PeerServerOptions["threads"];
  engine: PeerServerOptions["engine"];
  workloads: PeerWorkload[];
  /** The label of its summary lines (with targets); undefined: reported in the table only. */
  summaryLabel?: string;
}

interface RowDefinition {
  label: string;
  series: keyof SideSeries;
  /** Ratios are mullama / llama-server; for times lower is better. */
  lowerIsBetter: boolean;
  workload: PeerWorkload;
}

const rowDefinitions: RowDefinition[] = [
  { label: `one stream, decode tokens/s`, series: "oneStreamTokensPerSecond", lowerIsBetter: false, workload: "one-stream" },
  { label: `${parallel} concurrent streams, aggregate tokens/s`, series: "streamsAggregateTokensPerSecond", lowerIsBetter: false, workload: "streams" },
  { label: `${parallel} concurrent streams, p95 time to first token, ms`, series: "streamsFirstTokenP95Ms", lowerIsBetter: true, workload: "streams" },
  { label: `~${longPromptTokens}-token fresh prompt, time to first token, ms`, series: "freshPromptFirstTokenMs", lowerIsBetter: true, workload: "long-prompt" },
  { label: `same long prefix again, time to first token, ms`, series: "warmPrefixFirstTokenMs", lowerIsBetter: true, workload: "long-prompt" },
];

/**
 * The configurations: both at their defaults (mullama on the prebuilt engine, what `npm
 * install` gives, unless MULLAMA_ENGINE says otherwise); the same with the engine
 * `mullama engine build` made, where one is recorded; threads matched to mullama's
 * adaptive policy; fixed counts the machine has.
 */
async function configurations(quick: boolean): Promise<Configuration[]> {
  const all: PeerWorkload[] = ["one-stream", "streams", "long-prompt"];
  const chosenEngine = process.env.MULLAMA_ENGINE || undefined;
  const engine = chosenEngine === undefined ? "prebuilt" : undefined;
  const defaults: Configuration = { label: "defaults", threads: undefined, engine, workloads: all, summaryLabel: "defaults" };
  const record = readLocalEngineRecord();
  const built: Configuration[] =
    chosenEngine === undefined && record !== undefined && record.nodeLlamaCpp === nodeLlamaCppVersion()
      ? [{ label: "defaults, engine from `mullama engine build`", threads: undefined, engine: "local", workloads: all, summaryLabel: "defaults, `mullama engine build`" }]
      : [];
  if (quick) return [defaults, ...built];
  const adaptive = adaptiveThreadSettings((await loadEngine(false)).cpuMathCores);
  const matched: Configuration = {
    label: `threads matched (${adaptive.fewTokenThreads} decode, ${adaptive.manyTokenThreads} batch)`,
    threads: { decode: adaptive.fewTokenThreads, batch: adaptive.manyTokenThreads },
    engine,
    workloads: ["one-stream", "streams"],
  };
  // Where mullama's counts are one fixed count, "matched" is that fixed configuration, with the long prompt too.
  const sameCount = adaptive.fewTokenThreads === adaptive.manyTokenThreads ? adaptive.fewTokenThreads : undefined;
  if (sameCount !== undefined) matched.workloads = all;
  const fixed = [2, 4]
    .filter((threads) => threads <= availableParallelism() && threads !== sameCount)
    .map((threads): Configuration => ({ label: `${threads} threads, both fixed`, threads: { decode: threads, batch: threads }, engine, workloads: ["one-stream", "long-prompt"] }));
  return [defaults, ...built, matched, ...fixed];
}

export const peerSection: BenchmarkSection = {
  name: "peer",
  async run(run) {
    const binary = findLlamaServer();
    const model = run.randomModels[0]!;
    const repeats = run.quick ? 2 : 3;
    const vocabularySize = model.shape!.vocabularySize;
    const rows: string[][] = [];
    const summary: SummaryLine[] = [];
    for (const configuration of await configurations(run.quick)) {
      const options: PeerServerOptions = { modelPath: model.path, parallel, contextSize, threads: configuration.threads, engine: configuration.engine };
      const servers: ServerProcess[] = [];
      let series: [SideSeries, SideSeries];
      try {
        // Started one after the other: two model loads at once would slow both starts, nothing else.
        servers.push(await startMullama(options));
        servers.push(await startLlamaServer(binary, options));
        series = await measurePair([servers[0]!, servers[1]!], { repeats, tokens, streams: parallel, longPromptTokens, vocabularySize, workloads: configuration.workloads });
      } finally {
        for (const server of servers) await server.stop();
      }
      const [mullama, peer] = series;
      for (const definition of rowDefinitions) {
        if (!configuration.workloads.includes(definition.workload)) continue;
        const ratio = pairedRatios(mullama[definition.series], peer[definition.series]);
        const target = definition.lowerIsBetter ? "<= 1.0" : ">= 1.0";
        rows.push([configuration.label, definition.label, formatSpread(spread(mullama[definition.series])), formatSpread(spread(peer[definition.series])), formatSpread(ratio, 3), configuration.summaryLabel !== undefined ? target : "reported"]);
        if (configuration.summaryLabel !== undefined) {
          summary.push({
            row: `9. Peer: ${definition.label}, mullama serve / llama-server (${configuration.summaryLabel})`,
            result: ratio.median.toFixed(3),
            target,
            met: definition.lowerIsBetter ? ratio.median <= 1 : ratio.median >= 1,
          });
        }
      }
    }

    const llamaBench = findLlamaBench(binary);
    const engineThreads = [1, 2, 4].filter((threads) => threads <= availableParallelism());
    let benchTable = "";
    if (llamaBench !== undefined && !run.quick) {
      const results: LlamaBenchResult[] = await runLlamaBench(llamaBench, model.path, engineThreads, { promptTokens: longPromptTokens, generateTokens: tokens, repeats: 3 });
      const find = (threads: number, test: string) => results.find((result) => result.threads === threads && result.test === test);
      benchTable = [
        "",
        `llama.cpp's \`llama-bench\` on the same model and binary build, flash attention on, 3 repetitions, tokens/s (mean ± standard deviation): the peer engine without a server. Row 4 measures node-llama-cpp's engine the same way.`,
        "",
        table(["threads", `tg${tokens} (decode)`, `pp${longPromptTokens} (prompt)`], engineThreads.map((threads) => [String(threads), formatLlamaBench(find(threads, `tg${tokens}`)), formatLlamaBench(find(threads, `pp${longPromptTokens}`))])),
      ].join("\n");
    }

    const markdown = [
      "## 9. Peer: `mullama serve` against llama.cpp's `llama-server`",
      "",
      `${model.label}, both servers in processes of their own on loopback, ${parallel} parallel slots / sequences of ${contextSize} tokens each, flash attention on; ` +
        `the same OpenAI \`/v1/completions\` streaming client (plain node:http, greedy, token-id prompts) against both, ${tokens} tokens per stream, ` +
        `median (min-max) over ${repeats} repeats, sides alternating, each repeat's one-stream figure the median of ${oneStreamSamples} streams and its warm-prefix figure the median of ${warmPrefixSamples} requests; the ratio is mullama / llama-server per repeat pair. ` +
        `"defaults": neither is told a thread count, mullama runs node-llama-cpp's prebuilt engine (unless \`MULLAMA_ENGINE\` was set for the run); "engine from \`mullama engine build\`": the same with the engine built on this machine (only where one was built); "threads matched": llama-server gets \`-t\`/\`-tb\` equal to mullama's adaptive counts; "fixed": both get the same count. ` +
        `Peer binary: \`${binary}\` (\`npm run peer:build\` or \`LLAMA_SERVER\`).`,
      "",
      table(["configuration", "row", "`mullama serve`", "`llama-server`", "ratio", "target"], rows),
      benchTable,
    ].join("\n");
    return { markdown, summary };
  },
};
