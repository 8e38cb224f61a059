/**
 * Reads a streamed HTTP body as it arrives, in any of the three formats (OpenAI SSE,
 * Ollama NDJSON, native SSE), into the text generated so far and how the stream ended.
 * A stream counts as ended only on its protocol's last word (`[DONE]`, `done: true`,
 * `event: done`): a connection that just closes is a truncated answer, not a complete one.
 */
import type { ClientKind } from "./requests.ts";

export interface WireProgress {
  text: string;
  /** Pieces of text received (tokens, or groups of tokens). */
  pieces: number;
  ended: boolean;
  /** The in-stream error's code or message, when the server sent one. */
  error: string | undefined;
}

type Format = "openai" | "ollama" | "native";

export class WireDecoder {
  readonly #format: Format;
  #buffer = "";
  readonly progress: WireProgress = { text: "", pieces: 0, ended: false, error: undefined };

  constructor(kind: ClientKind) {
    if (kind === "websocket") throw new Error("a WebSocket is read message by message, not as a byte stream");
    this.#format = kind.startsWith("openai") ? "openai" : kind.startsWith("ollama") ? "ollama" : "native";
  }

  push(chunk: string): void {
    this.#buffer += chunk;
    const separator = this.#format === "ollama" ? "\n" : "\n\n";
    let end: number;
    while ((end = this.#buffer.indexOf(separator)) !== -1) {
      const block = this.#buffer.slice(0, end);
      this.#buffer = this.#buffer.slice(end + separator.length);
      if (block.trim() !== "") this.#read(block);
    }
  }

  #read(block: string): void {
    if (this.#format === "ollama") return this.#readOllama(JSON.parse(block) as OllamaLine);
    let event = "message";
    let data: string | undefined;
    for (const line of block.split("\n")) {
      if (line.startsWith("event: ")) event = line.slice(7);
      else if (line.startsWith("data: ")) data = data === undefined ? line.slice(6) : `${data}\n${line.slice(6)}`;
    }
    if (data === undefined) return; // a keep-alive comment
    if (this.#format === "openai") this.#readOpenAi(data);
    else this.#readNative(event, data);
  }

  #readOpenAi(data: string): void {
    if (data === "[DONE]") return void (this.progress.ended = true);
    const chunk = JSON.parse(data) as { error?: { code?: string; message?: string }; choices?: { text?: string; delta?: { content?: string } }[] };
    if (chunk.error !== undefined) return void (this.progress.error = chunk.error.code ?? chunk.error.message ?? "error");
    this.#addText(chunk.choices?.[0]?.delta?.content ?? chunk.choices?.[0]?.text);
  }

  #readOllama(line: OllamaLine): void {
    if (line.error !== undefined) return void (this.progress.error = line.error);
    this.#addText(line.response ?? line.message?.content);
    if (line.done === true) this.progress.ended = true;
  }

  #readNative(event: string, data: string): void {
    const payload = JSON.parse(data) as { text?: string; error?: { code?: string } };
    if (event === "token") this.#addText(payload.text);
    else if (event === "done") this.progress.ended = true;
    else if (event === "error") this.progress.error = payload.error?.code ?? "error";
  }

  #addText(text: string | undefined): void {
    if (text === undefined || text === "") return;
    this.progress.text += text;
    this.progress.pieces++;
  }
}

interface OllamaLine {
  response?: string;
  message?: { content?: string };
  done?: boolean;
  error?: string;
}
