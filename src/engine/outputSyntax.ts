/**
 * How a chat format marks a tool call and a thought in the model's own output, read from
 * node-llama-cpp's chat wrapper settings (it knows Qwen, Llama 3.x, Mistral, Functionary,
 * DeepSeek ..., and reads the syntax out of a Jinja template by rendering it). The markers
 * become plain text here, so the chat path can find them in generated text without the
 * engine's types: a special token's text is its spelling (the chat path writes special
 * tokens out while it looks for markers), and a marker that ends in a generic special
 * token (end of sequence) ends at that token, since the generation loop stops there anyway.
 */
import { LlamaText, SpecialToken, SpecialTokensText, type ChatWrapper } from "node-llama-cpp";

/** A tool call in the model's output: `prefix`, the tool's name, `argumentsPrefix(name)`, the arguments as JSON, `suffix`. */
export interface ToolCallSyntax {
  /** Texts that open a call (the first is the one the format writes). */
  prefixes: string[];
  /** The text between the tool's name and its arguments. */
  argumentsPrefix(name: string): string;
  /** The text after the arguments; may be empty. */
  suffix: string;
}

/** A thought (reasoning) segment before or between the answer's text. */
export interface ThoughtSyntax {
  /** The text that opens a thought; empty when only the prompt opens it. */
  prefix: string;
  /** The format opens the thought at the end of the prompt: the reply starts inside it. */
  opensAtStart: boolean;
  /** The text that closes a thought. */
  suffix: string;
}

/** What a chat format marks in the model's output. */
export interface OutputSyntax {
  toolCall?: ToolCallSyntax;
  thought?: ThoughtSyntax;
}

type Marker = string | LlamaText | undefined;

/** The output syntax of a chat wrapper, as its settings describe it. */
export function outputSyntaxOf(wrapper: ChatWrapper): OutputSyntax {
  const { functions, segments } = wrapper.settings;
  const call = functions.call;
  const prefixes = [call.prefix, ...(call.prefixAlternateMatches ?? [])].map((prefix) => markerText(prefix)).filter((prefix) => prefix.trim() !== "");
  const toolCall: ToolCallSyntax | undefined =
    prefixes.length === 0
      ? undefined
      : { prefixes: [...new Set(prefixes)], argumentsPrefix: (name) => markerText(call.paramsPrefix, name), suffix: markerText(call.suffix) };
  const thoughtSettings = segments?.thought;
  const thoughtSuffix = markerText(thoughtSettings?.suffix);
  let thought: ThoughtSyntax | undefined;
  if (thoughtSettings !== undefined && thoughtSuffix.trim() !== "") {
    const opensInPrompt = typeof thoughtSettings.prefix === "object" && !(thoughtSettings.prefix instanceof LlamaText);
    const prefix = opensInPrompt ? "" : markerText(thoughtSettings.prefix as Marker);
    thought = { prefix, suffix: thoughtSuffix, opensAtStart: opensInPrompt || thoughtSettings.openOnResponseStart === true };
  }
  return { ...(toolCall === undefined ? {} : { toolCall }), ...(thought === undefined ? {} : { thought }) };
}

/** A marker as text, `{{functionName}}` filled in; it ends at a special token such as EOS. */
function markerText(marker: Marker, functionName = ""): string {
  if (marker === undefined) return "";
  const values = typeof marker === "string" ? [marker] : marker.values;
  let text = "";
  for (const value of values) {
    if (value instanceof SpecialToken) break;
    text += value instanceof SpecialTokensText ? value.value : value.replaceAll("{{functionName}}", functionName);
  }
  return text;
}
