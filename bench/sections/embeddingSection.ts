/**
 * Row 11 (issue 9): inputs/s of the server's OpenAI `/v1/embeddings` against the raw
 * engine's embedding call (node-llama-cpp's `getEmbeddingFor`, one input after the other)
 * on the same texts and model, sides alternating.
 */
import { Model, createServer } from "../../src/index.ts";
import { adaptiveThreadSettings } from "../../src/engine/threads.ts";
import { engineModelOf } from "../../src/model/Model.ts";
import { ratio, table } from "../markdown.ts";
import type { BenchmarkModel } from "../models.ts";
import type { BenchmarkSection, SummaryLine } from "../section.ts";
import { formatSpread, interleaved, pairedRatios, spread } from "../stats.ts";

const verses = ["In the beginning God created the heaven and the earth.", "And the earth was without form, and void.", "And God said, Let there be light: and there was light.", "And God saw the light, that it was good."];

export const embeddingSection: BenchmarkSection = {
  name: "embeddings",
  async run(run) {
    const models: BenchmarkModel[] = run.quick ? [run.demoModel] : [run.demoModel, run.randomModels[0]!];
    const inputs = Array.from({ length: run.quick ? 16 : 32 }, (_, index) => `${verses[index % verses.length]} (${index})`);
    const rows: string[][] = [];
    const summary: SummaryLine[] = [];
    for (const benchmarkModel of models) {
      const model = await Model.load(benchmarkModel.path);
      const engineModel = engineModelOf(model);
      const server = createServer({ model, modelName: "bench", port: 0, logger: false });
      const { url } = await server.listen();
      // The same context size and threads as the server's embedding context takes by default.
      const contextSize = server.context!.contextSize;
      const raw = await engineModel.createEmbeddingContext({ contextSize, batchSize: contextSize, threads: adaptiveThreadSettings(engineModel.llama.cpuMathCores).manyTokenThreads });
      const viaServer = async () => {
        const started = performance.now();
        const response = await fetch(`${url}/v1/embeddings`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "bench", input: inputs }) });
        const body = (await response.json()) as { data?: unknown[] };
        if (response.status !== 200 || body.data?.length !== inputs.length) throw new Error(`/v1/embeddings answered ${response.status}`);
        return (inputs.length * 1000) / (performance.now() - started);
      };
      const viaRaw = async () => {
        const started = performance.now();
        for (const input of inputs) await raw.getEmbeddingFor(input);
        return (inputs.length * 1000) / (performance.now() - started);
      };
      await viaServer();
      await viaRaw();
      const results = await interleaved(run.repeats, { server: viaServer, raw: viaRaw });
      const serverRatio = pairedRatios(results.server, results.raw);
      rows.push([benchmarkModel.label, formatSpread(spread(results.raw)), formatSpread(spread(results.server)), ratio(serverRatio)]);
      summary.push({ row: `11. /v1/embeddings / raw engine, inputs/s, ${benchmarkModel.label}`, result: serverRatio.median.toFixed(3), target: "reported", met: undefined });
      await server.close();
      await raw.dispose();
      await model.dispose();
    }
    const markdown = [
      "## 11. Embeddings: `/v1/embeddings` against the raw engine",
      "",
      `${inputs.length} short texts per call: one \`POST /v1/embeddings\` with all of them (in-process server, default settings, plain \`fetch\`) against node-llama-cpp's \`getEmbeddingFor\` on each text in turn, ` +
        `on an embedding context of the same size and threads. Inputs/s, median (min-max) over ${run.repeats} repeats, sides alternating; the ratio is taken per repeat pair.`,
      "",
      table(["model", "raw engine inputs/s", "/v1/embeddings inputs/s", "server / raw"], rows),
    ].join("\n");
    return { markdown, summary };
  },
};
