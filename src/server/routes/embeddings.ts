/**
 * OpenAI's `POST /v1/embeddings`: `input` is a text, an array of texts, token ids, or an
 * array of token-id arrays (at most 2048 inputs, as OpenAI allows); each gets one
 * normalized vector, as a JSON array (`encoding_format: "float"`, the default) or as
 * base64 of its little-endian float32 bytes (`"base64"`, what the official clients ask for
 * and decode). `dimensions` is refused unless it is the model's own vector length; `user`
 * goes to the log only.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { z } from "zod";
import { embedForRequest } from "../embeddingRun.js";
import { parseRequestBody } from "../requestBody.js";
import type { ServerRuntime } from "../serverRuntime.js";

/** OpenAI's limit on inputs per request. */
const maxInputs = 2048;

// The shape only: what each input holds (texts not empty, ids inside the vocabulary) is
// checked by the embedding context, which names the input at fault.
const inputSchema = z.union([z.string(), z.array(z.union([z.string(), z.number(), z.array(z.number())])).max(maxInputs, `at most ${maxInputs} inputs`)], {
  error: "expected a string, an array of strings, an array of token ids, or an array of token-id arrays",
});

const embeddingsRequestSchema = z.strictObject({
  model: z.string({ error: "expected the model's name" }).min(1, "must not be empty"),
  input: inputSchema,
  encoding_format: z.enum(["float", "base64"], { error: 'expected "float" or "base64"' }).nullish(),
  dimensions: z.number().int("expected an integer").positive("must be positive").nullish(),
  /** An end-user id, for the caller's own abuse tracking; logged, nothing else. */
  user: z.string().nullish(),
});

export function registerEmbeddingsRoute(app: FastifyInstance, runtime: ServerRuntime): void {
  app.post("/v1/embeddings", async (request, reply) => {
    const body = parseRequestBody(embeddingsRequestSchema, request.body);
    logUser(request, body.user);
    const answer = await embedForRequest(runtime, reply, { model: body.model, input: body.input, dimensions: body.dimensions });
    const encode = body.encoding_format === "base64" ? float32Base64 : (vector: number[]) => vector;
    return {
      object: "list",
      data: answer.vectors.map((vector, index) => ({ object: "embedding", index, embedding: encode(vector) })),
      model: body.model,
      usage: { prompt_tokens: answer.promptTokens, total_tokens: answer.promptTokens },
    };
  });
}

/** The vector as OpenAI's base64 form: float32 values, little-endian whatever this machine's byte order. */
export function float32Base64(vector: readonly number[]): string {
  const bytes = new DataView(new ArrayBuffer(vector.length * 4));
  for (const [index, value] of vector.entries()) bytes.setFloat32(index * 4, value, true);
  return Buffer.from(bytes.buffer).toString("base64");
}

function logUser(request: FastifyRequest, user: string | null | undefined): void {
  if (user) request.log.info({ user }, "embeddings requested");
}
