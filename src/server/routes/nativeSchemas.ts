/**
 * The request bodies of the native APIs (`POST /generate` and the `/ws` messages): a
 * prompt as text or token ids, and the library's own generation options (camelCase, the
 * same names as `Context.stream`).
 */
import { z } from "zod";
import { generationOptionsSchema } from "../../generation/options.js";

/** The generation options a client can send as JSON (no signal, observer or progress callback; waiting is the server's business). */
export const wireGenerationOptionsSchema = generationOptionsSchema.omit({ signal: true, wait: true, observer: true, onPromptProgress: true });

/** A prompt as text or token ids (the context range-checks ids against the vocabulary). */
export const wirePromptSchema = z.union([z.string(), z.array(z.number().int("token ids are integers")).min(1, "must not be empty")], {
  error: "expected text or an array of token ids",
});

/** A model's name, as the server lists it; optional on the native APIs, where requests without one get the default model. */
export const wireModelSchema = z.string({ error: "expected a model name" }).min(1, "must not be empty").max(500, "at most 500 characters");
