/**
 * Grammars that constrain generation token by token (node-llama-cpp's LlamaGrammar): from
 * a JSON Schema (checked by jsonSchemaSupport.ts first) or from GBNF text. Compiling a
 * schema costs a grammar generation and a native parse; a server sees the same schema on
 * request after request, so compiled grammars are kept per engine and text (a few dozen,
 * least recently used first out).
 */
import { LlamaGrammar, LlamaGrammarEvaluationState, LlamaJsonSchemaGrammar, type Llama, type LlamaModel } from "node-llama-cpp";
import { InvalidArgumentError, errorMessage } from "../errors.js";
import { grammarJsonSchema } from "./jsonSchemaSupport.js";

/** What constrains a generation: a JSON Schema object or GBNF text. */
export type GrammarSource = { kind: "jsonSchema"; schema: object; argument: string } | { kind: "gbnf"; text: string; argument: string };

export interface CompiledGrammar {
  readonly grammar: LlamaGrammar;
  /**
   * Text the grammar makes the model write once the value is complete (the JSON grammar
   * ends with blank lines, as node-llama-cpp writes it): the generation ends there, as at
   * an end of generation, and the marker is not part of the output.
   */
  readonly endMarker: string | undefined;
}

const cacheSize = 64;
const caches = new WeakMap<Llama, Map<string, CompiledGrammar>>();
/** node-llama-cpp's JSON grammars end with four newlines before the end of generation. */
const jsonEndMarker = "\n".repeat(4);

/** Compiles (or reuses) the grammar for `source`; a source the compiler cannot handle is an InvalidArgumentError naming its argument. */
export function compileGrammar(engineModel: LlamaModel, source: GrammarSource): CompiledGrammar {
  const llama = engineModel.llama;
  const schema = source.kind === "jsonSchema" ? grammarJsonSchema(source.schema, source.argument) : undefined;
  const key = schema === undefined ? `gbnf:${source.kind === "gbnf" ? source.text : ""}` : `json:${JSON.stringify(schema)}`;
  let cache = caches.get(llama);
  if (cache === undefined) caches.set(llama, (cache = new Map()));
  const cached = cache.get(key);
  if (cached !== undefined) {
    // Map order is insertion order: re-inserting marks it as the most recently used.
    cache.delete(key);
    cache.set(key, cached);
    return cached;
  }
  let compiled: CompiledGrammar;
  try {
    compiled =
      schema === undefined
        ? { grammar: new LlamaGrammar(llama, { grammar: (source as { text: string }).text }), endMarker: undefined }
        : { grammar: integersWithoutNegativeExponents(llama, new LlamaJsonSchemaGrammar(llama, schema as never)), endMarker: jsonEndMarker };
  } catch (error) {
    throw new InvalidArgumentError(source.argument, `the grammar compiler refused it: ${errorMessage(error)}`, { cause: error });
  }
  cache.set(key, compiled);
  if (cache.size > cacheSize) cache.delete(cache.keys().next().value!);
  return compiled;
}

/**
 * The engine's integer rule allows an exponent of either sign, and `2e-2` is not an
 * integer (a validator refuses it): the rule is rewritten to allow positive exponents only.
 */
function integersWithoutNegativeExponents(llama: Llama, grammar: LlamaGrammar): LlamaGrammar {
  const rule = /^(integer-number-rule ::= .*\[eE\] )\[-\+\]\?/m;
  if (!rule.test(grammar.grammar)) return grammar;
  return new LlamaGrammar(llama, { grammar: grammar.grammar.replace(rule, '$1"+"?'), stopGenerationTriggers: grammar.stopGenerationTriggers, trimWhitespaceSuffix: grammar.trimWhitespaceSuffix });
}

/** A fresh evaluation state: one per generation, since it tracks how far the output got through the grammar. */
export function grammarEvaluationState(engineModel: LlamaModel, compiled: CompiledGrammar): LlamaGrammarEvaluationState {
  return new LlamaGrammarEvaluationState({ model: engineModel, grammar: compiled.grammar });
}
