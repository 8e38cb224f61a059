/** The gateway (`serve --upstream`, issue 11): what one gateway process carries, against a synthetic upstream on loopback. */
import { benchmarkGateway } from "../gateway.ts";
import { table } from "../markdown.ts";
import type { BenchmarkSection } from "../section.ts";

export const gatewaySection: BenchmarkSection = {
  name: "gateway",
  usesModels: false,
  async run(run) {
    const measured = await benchmarkGateway({ quick: run.quick });
    const rows = measured.rows.map((row) => [row.load, row.streamsPerSecond.toFixed(1), row.tokensPerSecond.toFixed(0), row.cores.toFixed(2), String(row.failed)]);
    const markdown = [
      "## Gateway: streams through `mullama serve --upstream`",
      "",
      "The gateway runs in this process in front of a synthetic OpenAI-compatible upstream (bench/syntheticUpstream.ts: no model, SSE chunks of one token each) " +
        "that runs, with the clients (plain `node:http`, native OpenAI SSE read to `[DONE]`), in another process; only the gateway process's CPU time is counted. " +
        "Each stream crosses the whole gateway path: routing, RemoteContext, stop-string matching, the scheduler, metrics and OpenAI's chunk format on the way out.",
      "",
      table(["load", "streams/s", "tokens/s", "gateway cores busy", "failed"], rows),
      "",
      `Short streams per second per gateway core: ${measured.streamsPerSecondPerCore.toFixed(0)}. Concurrent streams at one token per 50 ms per gateway core (its paced tokens per second per core / 20): ${measured.concurrentStreamsPerCore.toFixed(0)}.`,
    ].join("\n");
    return {
      markdown,
      summary: [
        { row: "Gateway: short streams per second per core", result: measured.streamsPerSecondPerCore.toFixed(0), target: "reported", met: undefined },
        { row: "Gateway: concurrent streams (one token per 50 ms) per core", result: measured.concurrentStreamsPerCore.toFixed(0), target: "reported", met: undefined },
      ],
    };
  },
};
