/**
 * Tool calls the model writes in its chat format's own syntax (`toolChoice: "auto"`):
 * `<tool_call>\n{"name": "get_weather", "arguments": {...}}\n</tool_call>` for Qwen,
 * `<function=get_weather>{...}</function>` for Llama 3.1, node-llama-cpp's
 * `||call: get_weather({...})` for templates without a format of their own, as
 * engine/outputSyntax.ts reads them. Text goes out as it comes, except what could still
 * be the start of a call; a call starts once its prefix and a tool's name are complete,
 * its arguments stream as generated, and it is complete the moment they close. What looked
 * like a call but names no tool is text after all.
 */
import { GenerationError } from "../errors.js";
import type { ToolCallSyntax } from "../engine/outputSyntax.js";
import type { OutputShaper, ShapedOutput } from "../generation/outputShaper.js";
import { newToolCallId } from "./forcedToolCall.js";
import { JsonValueScanner } from "./jsonValueScanner.js";
import { findMarker, matchMarker, withoutLeadingWhitespace } from "./markers.js";

interface OpenCall {
  id: string;
  name: string;
  argumentsText: string;
  scanner: JsonValueScanner;
}

export class TemplateToolCallShaper implements OutputShaper {
  readonly readsSpecialTokens = true;
  readonly #syntax: ToolCallSyntax;
  readonly #heads: { name: string; head: string }[];
  /** Text not told yet: plain text being searched, a call's head, or what follows a call's arguments. */
  #buffer = "";
  #mode: "text" | "head" | "arguments" | "suffix" = "text";
  /** The prefix as generated, while the head is read (it is text again if no tool is named). */
  #prefixText = "";
  #call: OpenCall | undefined;
  /** After a call, whitespace between calls is not text. */
  #afterCall = false;

  constructor(syntax: ToolCallSyntax, toolNames: readonly string[]) {
    this.#syntax = syntax;
    // Longest first: a name that begins another ("get", "get_time") waits until the text tells them apart.
    this.#heads = toolNames.map((name) => ({ name, head: name + syntax.argumentsPrefix(name) })).sort((a, b) => b.head.length - a.head.length);
  }

  push(text: string): ShapedOutput[] {
    this.#buffer += text;
    const out: ShapedOutput[] = [];
    // Each step consumes some of the buffer or waits for more.
    while (this.#step(out));
    return out;
  }

  end(complete: boolean): ShapedOutput[] {
    const out: ShapedOutput[] = [];
    const call = this.#call;
    if (this.#mode === "arguments" && call !== undefined) {
      // A number or literal ends with the text; anything else was cut short.
      if (complete && call.scanner.endsWithText) this.#finishCall(out, call);
      else if (complete) throw new GenerationError(`The model's call of "${call.name}" ended before its arguments were complete`);
      return out;
    }
    if (this.#mode === "head") this.#buffer = this.#prefixText + this.#buffer;
    if (this.#mode !== "suffix") this.#text(out, this.#buffer);
    this.#buffer = "";
    return out;
  }

  #step(out: ShapedOutput[]): boolean {
    switch (this.#mode) {
      case "text":
        return this.#findCall(out);
      case "head":
        return this.#readHead(out);
      case "arguments":
        return this.#readArguments(out);
      case "suffix":
        return this.#readSuffix();
    }
  }

  #findCall(out: ShapedOutput[]): boolean {
    const search = findMarker(this.#buffer, this.#syntax.prefixes);
    if (search.kind === "absent") {
      this.#text(out, this.#buffer);
      this.#buffer = "";
      return false;
    }
    this.#text(out, this.#buffer.slice(0, search.start));
    if (search.kind === "possible") {
      this.#buffer = this.#buffer.slice(search.start);
      return false;
    }
    this.#prefixText = this.#buffer.slice(search.start, search.end);
    this.#buffer = this.#buffer.slice(search.end);
    this.#mode = "head";
    return true;
  }

  /** The tool's name and the text before its arguments. */
  #readHead(out: ShapedOutput[]): boolean {
    for (const { name, head } of this.#heads) {
      const match = matchMarker(this.#buffer, 0, head);
      if (match === "partial") return false;
      if (match === "different") continue;
      this.#call = { id: newToolCallId(), name, argumentsText: "", scanner: new JsonValueScanner() };
      out.push({ type: "tool-call-start", id: this.#call.id, name });
      this.#buffer = this.#buffer.slice(match);
      this.#mode = "arguments";
      return true;
    }
    // No tool has this name: the prefix was text. Its first character is told, the rest searched again.
    const restored = this.#prefixText + this.#buffer;
    this.#text(out, restored.slice(0, 1));
    this.#buffer = restored.slice(1);
    this.#mode = "text";
    return true;
  }

  #readArguments(out: ShapedOutput[]): boolean {
    const call = this.#call!;
    if (call.argumentsText === "") {
      this.#buffer = withoutLeadingWhitespace(this.#buffer);
      if (this.#buffer === "") return false;
    }
    const used = call.scanner.push(this.#buffer);
    if (call.scanner.invalid) {
      // A call without arguments (its format writes nothing, or a placeholder that is not JSON).
      this.#delta(out, call, "{}");
    } else {
      this.#delta(out, call, this.#buffer.slice(0, used));
      this.#buffer = this.#buffer.slice(used);
      if (!call.scanner.done) return false;
    }
    this.#finishCall(out, call);
    return true;
  }

  #readSuffix(): boolean {
    const match = matchMarker(this.#buffer, 0, this.#syntax.suffix);
    if (match === "partial") return false;
    // A format's closing text, when it is there; a model that leaves it out still made its call.
    if (typeof match === "number") this.#buffer = this.#buffer.slice(match);
    this.#mode = "text";
    return true;
  }

  #finishCall(out: ShapedOutput[], call: OpenCall): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(call.argumentsText);
    } catch (error) {
      throw new GenerationError(`The model's call of "${call.name}" has arguments that are not valid JSON`, { cause: error });
    }
    out.push({ type: "tool-call", id: call.id, name: call.name, arguments: parsed, argumentsText: call.argumentsText });
    this.#call = undefined;
    this.#afterCall = true;
    this.#mode = "suffix";
  }

  #delta(out: ShapedOutput[], call: OpenCall, text: string): void {
    if (text === "") return;
    call.argumentsText += text;
    out.push({ type: "tool-call-delta", id: call.id, argumentsDelta: text });
  }

  #text(out: ShapedOutput[], text: string): void {
    if (this.#afterCall) {
      text = withoutLeadingWhitespace(text);
      if (text === "") return;
      this.#afterCall = false;
    }
    if (text !== "") out.push({ type: "text", text });
  }
}
