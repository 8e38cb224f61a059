/**
 * What the stress clients ask for: one request per client kind (protocol, route, streamed
 * or not), always greedy so that a text can be compared with the same request served
 * alone. Every client, the package-based ones and the raw-socket ones, sends the bodies
 * built here, so the same spec means the same request on the wire.
 */
import type { SeededRandom } from "./random.ts";

export const modelName = "kjv-tiny-q8_0";

export const clientKinds = [
  "openai-chat-stream",
  "openai-chat",
  "openai-completion-stream",
  "openai-completion",
  "ollama-generate-stream",
  "ollama-generate",
  "ollama-chat-stream",
  "ollama-chat",
  "native-sse",
  "websocket",
] as const;
export type ClientKind = (typeof clientKinds)[number];

/** Kinds whose answer arrives piece by piece (a hang-up can land mid-stream). */
export const streamedKinds: readonly ClientKind[] = ["openai-chat-stream", "openai-completion-stream", "ollama-generate-stream", "ollama-chat-stream", "native-sse", "websocket"];
/** Streamed kinds over plain HTTP (the slow and silent readers read their bodies byte by byte). */
export const httpStreamedKinds: readonly ClientKind[] = streamedKinds.filter((kind) => kind !== "websocket");

export interface RequestSpec {
  kind: ClientKind;
  prompt: string;
  maxTokens: number;
}

/** Prompts of the demo model: some end on their own within a few tokens, some run to the limit. */
export const shortPrompts = [
  "And God said",
  "In the beginning",
  "The LORD is my shepherd",
  "And Jesus said",
  "Blessed are",
  "And it came to pass",
  "Thou shalt",
  "Let there be",
  "And he said unto them",
  "Now the sons of",
  "Woe unto you",
  "And I saw",
];

/** Prompts the demo model continues greedily for thousands of tokens (no end of text). */
export const endlessPrompts = ["Thou shalt", "Woe unto you", "Praise ye the LORD"];

const verses = [
  "In the beginning God created the heaven and the earth.",
  "And the earth was without form, and void; and darkness was upon the face of the deep.",
  "And God said, Let there be light: and there was light.",
  "The LORD is my shepherd; I shall not want.",
  "He maketh me to lie down in green pastures: he leadeth me beside the still waters.",
  "Blessed are the meek: for they shall inherit the earth.",
];

/**
 * A prompt of about `characters` characters (about a token per 3.5 here). It starts with
 * its own number, so that no two share more than their first token: each is evaluated in
 * full instead of reusing a cached prefix, and a hang-up can land during that prefill.
 */
export function longPrompt(number: number, characters: number, random: SeededRandom): string {
  let text = `Chapter ${number}.`;
  while (text.length < characters) text += ` ${random.pick(verses)}`;
  return text;
}

export function specKey(spec: RequestSpec): string {
  return `${spec.kind} ${spec.maxTokens} ${spec.prompt}`;
}

/** The route and JSON body of a request (for the WebSocket, the `generate` message). */
export function wireRequest(spec: RequestSpec): { path: string; body: Record<string, unknown> } {
  const stream = streamedKinds.includes(spec.kind);
  const messages = [{ role: "user", content: spec.prompt }];
  const ollamaOptions = { num_predict: spec.maxTokens, temperature: 0 };
  switch (spec.kind) {
    case "openai-chat-stream":
    case "openai-chat":
      return { path: "/v1/chat/completions", body: { model: modelName, messages, max_tokens: spec.maxTokens, temperature: 0, stream } };
    case "openai-completion-stream":
    case "openai-completion":
      return { path: "/v1/completions", body: { model: modelName, prompt: spec.prompt, max_tokens: spec.maxTokens, temperature: 0, stream } };
    case "ollama-generate-stream":
    case "ollama-generate":
      return { path: "/api/generate", body: { model: modelName, prompt: spec.prompt, stream, options: ollamaOptions } };
    case "ollama-chat-stream":
    case "ollama-chat":
      return { path: "/api/chat", body: { model: modelName, messages, stream, options: ollamaOptions } };
    case "native-sse":
      return { path: "/generate", body: { prompt: spec.prompt, options: { maxTokens: spec.maxTokens, temperature: 0 } } };
    case "websocket":
      return { path: "/ws", body: { type: "generate", id: "stress", prompt: spec.prompt, options: { maxTokens: spec.maxTokens, temperature: 0 } } };
  }
}

/**
 * The prompt as the server gives it to the model: the transcript it writes for chat
 * requests to a model without a chat template (docs/SERVER.md, "Chat prompts"), else the text.
 */
export function promptText(spec: RequestSpec): string {
  return spec.kind.includes("chat") ? `User: ${spec.prompt}\nAssistant:` : spec.prompt;
}

/** A Retry-After header as the server must send it: whole seconds, at least 1. */
export function parseRetryAfter(value: string | null | undefined): number | undefined {
  return value !== null && value !== undefined && /^[1-9]\d*$/.test(value) ? Number(value) : undefined;
}
