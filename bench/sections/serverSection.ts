/** Row 5: the server (issue 3), on the demo model and, in a full run, the smallest random model. */
import { table } from "../markdown.ts";
import type { BenchmarkModel } from "../models.ts";
import type { BenchmarkSection, SummaryLine } from "../section.ts";
import { benchmarkServer, serverTableHeader } from "../server.ts";

const demoPrompts = ["And God said", "The LORD is my shepherd", "In the beginning", "And it came to pass"];

export const serverSection: BenchmarkSection = {
  name: "server",
  async run(run) {
    const models: BenchmarkModel[] = run.quick ? [run.demoModel] : [run.demoModel, run.randomModels[0]!];
    const parts: string[] = [];
    const summary: SummaryLine[] = [];
    for (const model of models) {
      const tokens = model === run.demoModel ? 128 : 48;
      const result = await benchmarkServer({ modelPath: model.path, repeats: run.repeats, threads: run.threads, tokens, prompts: demoPrompts });
      parts.push(
        `### ${model.label}, ${tokens} tokens per stream`,
        "",
        table(serverTableHeader, []).split("\n").slice(0, 2).join("\n"),
        ...result.rows,
        "",
      );
      summary.push(
        { row: `5. Server: one SSE stream / in-process, ${model.label}`, result: result.sseRatio.median.toFixed(3), target: ">= 0.95", met: result.sseRatio.median >= 0.95 },
        { row: `5. Server: 8 clients' aggregate / one client's, ${model.label}`, result: result.eightClientsAggregateRatio.toFixed(3), target: ">= 0.9", met: result.eightClientsAggregateRatio >= 0.9 },
        { row: `5. Server: p95 first token, 8 clients batched / one at a time, ${model.label}`, result: result.eightClientsFirstTokenRatio.median.toFixed(3), target: "<= 0.25", met: result.eightClientsFirstTokenRatio.median <= 0.25 },
        { row: `5. Server: first token after a 1,000-token prefix, warm / cold, ${model.label}`, result: result.prefixRatio.median.toFixed(3), target: "<= 0.1", met: result.prefixRatio.median <= 0.1 },
      );
    }
    const markdown = [
      "## 5. Server: SSE against in-process, concurrent clients against one at a time, prefix reuse",
      "",
      `The server runs in-process (\`createServer\`, ${run.threads} thread(s)); clients are plain \`node:http\` requests to the native SSE route, greedy. ` +
        "\"Batched\" is a server with 8 sequences; \"one at a time\" is the same server with 1 sequence and a queue, the way Ollama serves by default. " +
        "Times to first token count from when all clients send. The prefix row starts a fresh server per repeat (cold), then sends the same 1,000 tokens with a different last token (warm). " +
        `Median (min-max) over ${run.repeats} repeats. On a 2-core CPU decoding is compute-bound, so batching adds little throughput; the win is latency.`,
      "",
      ...parts,
    ].join("\n");
    return { markdown, summary };
  },
};
