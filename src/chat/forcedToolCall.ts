/**
 * A forced tool call ("required", or one named tool): the output is constrained by a
 * grammar to `{"name": <one of the tools>, "arguments": <that tool's parameters>}`, and
 * this shaper turns that JSON into tool-call parts as it is generated: the start as soon
 * as the name is complete, then the arguments' text in pieces, then the parsed call. The
 * wrapper's last brace is held back (it may close the arguments or the wrapper) until
 * the next piece shows which.
 */
import { randomBytes } from "node:crypto";
import { GenerationError } from "../errors.js";
import type { OutputShaper, ShapedOutput } from "../generation/outputShaper.js";
import type { ChatTool } from "./chatOptions.js";

const header = /^\s*\{\s*"name"\s*:\s*"((?:[^"\\]|\\.)*)"\s*,\s*"arguments"\s*:\s*/;
/** A possible closing brace of the wrapper (and the whitespace around it) at the end of the text so far. */
const possibleClose = /\s*\}?\s*$/;

/** The JSON Schema that forces one call of one of `tools`. */
export function forcedCallSchema(tools: ReadonlyMap<string, ChatTool>): object {
  const alternatives = [...tools].map(([name, tool]) => ({
    type: "object",
    properties: { name: { const: name }, arguments: tool.parameters },
    required: ["name", "arguments"],
    additionalProperties: false,
  }));
  return alternatives.length === 1 ? alternatives[0]! : { oneOf: alternatives };
}

/** A tool call id in OpenAI's style. */
export function newToolCallId(): string {
  return `call_${randomBytes(12).toString("hex")}`;
}

export class ForcedToolCallShaper implements OutputShaper {
  #buffer = "";
  #id: string | undefined;
  #name = "";
  #pending = "";
  #argumentsText = "";

  push(text: string): ShapedOutput[] {
    const out: ShapedOutput[] = [];
    if (this.#id === undefined) {
      this.#buffer += text;
      const match = header.exec(this.#buffer);
      if (match === null) return out;
      this.#id = newToolCallId();
      this.#name = JSON.parse(`"${match[1]!}"`) as string;
      out.push({ type: "tool-call-start", id: this.#id, name: this.#name });
      text = this.#buffer.slice(match[0].length);
    }
    this.#pending += text;
    const held = possibleClose.exec(this.#pending)!.index;
    const ready = this.#pending.slice(0, held);
    this.#pending = this.#pending.slice(held);
    if (ready !== "") out.push(this.#delta(ready));
    return out;
  }

  end(complete: boolean): ShapedOutput[] {
    // Cut short (maxTokens, a stop string, an abort): no call is made; the result says why it ended.
    if (!complete || this.#id === undefined) return [];
    // What is held back is the wrapper's closing brace; the arguments were closed before it.
    const close = this.#pending.lastIndexOf("}");
    const rest = close === -1 ? this.#pending : this.#pending.slice(0, close);
    const out: ShapedOutput[] = rest === "" ? [] : [this.#delta(rest)];
    let parsed: unknown;
    try {
      parsed = JSON.parse(this.#argumentsText);
    } catch (error) {
      throw new GenerationError("The forced tool call's arguments are not valid JSON", { cause: error });
    }
    out.push({ type: "tool-call", id: this.#id, name: this.#name, arguments: parsed, argumentsText: this.#argumentsText });
    return out;
  }

  #delta(text: string): ShapedOutput {
    this.#argumentsText += text;
    return { type: "tool-call-delta", id: this.#id!, argumentsDelta: text };
  }
}
