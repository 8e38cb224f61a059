/**
 * Ollama's `POST /api/pull`: pulls a model into the server's store (servers that serve
 * one) and streams Ollama's NDJSON progress: `pulling manifest`, then per file `pulling
 * <digest>` lines with `digest`, `total` and `completed` (bytes), `verifying sha256 digest`,
 * `writing manifest`, `success`. The model is served as soon as it is stored. `model` (or
 * its older name `name`) takes our references (`hf:user/repo:Q4_K_M`, `https://...gguf`)
 * and Ollama's form for Hugging Face models, `hf.co/user/repo:Q4_K_M`; `insecure` is
 * accepted and changes nothing. A failure once the stream has started is its last line,
 * `{"error": "..."}`, as Ollama writes it; a client that leaves cancels the pull, which
 * keeps what arrived, so pulling again resumes. `stream: false` answers once, at the end.
 */
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { describeError } from "../../errorPolicy.js";
import { InvalidArgumentError } from "../../errors.js";
import { pullModel } from "../../pull/pullModel.js";
import type { PullProgress } from "../../pull/pullProgress.js";
import { parseModelReference } from "../../store/modelReference.js";
import { badRequest, errorBody } from "../httpErrors.js";
import { logFailure } from "../requestLog.js";
import { parseRequestBody } from "../requestBody.js";
import type { ServerRuntime } from "../serverRuntime.js";
import { onDisconnect, StreamingResponse } from "../streamingResponse.js";
import { servedStore } from "./ollamaModelRoutes.js";

const pullRequestSchema = z.strictObject({
  model: z.string().min(1, "must not be empty").optional(),
  /** The field's older name (what the official clients send). */
  name: z.string().min(1, "must not be empty").optional(),
  /** Ollama's switch for registries without TLS; the transport rules of a reference decide here. */
  insecure: z.boolean().nullish(),
  stream: z.boolean().nullish(),
});

export function registerOllamaPullRoute(app: FastifyInstance, runtime: ServerRuntime): void {
  app.post("/api/pull", async (request, reply) => {
    const body = parseRequestBody(pullRequestSchema, request.body);
    const reference = body.model ?? body.name;
    if (reference === undefined) throw badRequest("Invalid model: the model's reference is required", "model");
    const store = servedStore(runtime, "pulled");
    checkReference(reference);
    const controller = new AbortController();
    onDisconnect(reply.raw, (reason) => controller.abort(reason));
    if (body.stream === false) {
      await pullModel(reference, { store, signal: controller.signal });
      return { status: "success" };
    }
    const stream = StreamingResponse.open(reply, "application/x-ndjson");
    const send = (line: object) => void stream.write(`${JSON.stringify(line)}\n`);
    try {
      await pullModel(reference, { store, signal: controller.signal, onProgress: (progress) => ollamaProgressLines(progress).forEach(send) });
    } catch (error) {
      logFailure(request, error);
      if (!controller.signal.aborted) send(errorBody(describeError(error), "ollama") as object);
    } finally {
      stream.end();
    }
    return reply;
  });
}

/** Refused before the stream starts: a name that is no reference (an Ollama library name such as `llama3.2`) or a malformed one. */
function checkReference(text: string): void {
  try {
    if (parseModelReference(text) !== undefined) return;
  } catch (error) {
    if (error instanceof InvalidArgumentError) throw badRequest(`Invalid model: ${error.message.replace(/^[^:]*: /, "")}`, "model");
    throw error;
  }
  throw badRequest(`Invalid model: "${text}" is not a reference this server can pull; use hf.co/<user>/<repo>:<quant>, hf:<user>/<repo>/<file>.gguf or an https:// URL of a .gguf file`, "model");
}

/** A pull's progress event as the lines of Ollama's stream (none for the steps Ollama does not report). */
export function ollamaProgressLines(progress: PullProgress): object[] {
  switch (progress.status) {
    case "resolving":
      return [{ status: "pulling manifest" }];
    case "waiting":
      return [{ status: `waiting for another pull of ${progress.name}` }];
    case "downloading": {
      // Ollama names a layer by the first 12 hex digits of its digest; a file without a known hash, by its name.
      const digest = progress.sha256 === undefined ? progress.file : `sha256:${progress.sha256}`;
      const label = progress.sha256 === undefined ? progress.file : progress.sha256.slice(0, 12);
      return [{ status: `pulling ${label}`, digest, ...(progress.totalBytes === undefined ? {} : { total: progress.totalBytes }), completed: progress.completedBytes }];
    }
    case "verifying":
      return [{ status: "verifying sha256 digest" }];
    case "probing":
      return [{ status: "testing the model in a child process" }];
    case "success":
      return [{ status: "writing manifest" }, { status: "success" }];
    case "resolved":
    case "resuming":
    case "up-to-date":
      return [];
  }
}
