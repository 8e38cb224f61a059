/**
 * The part of JSON Schema that the engine's grammar compiler (node-llama-cpp's
 * `createGrammarForJsonSchema`) turns into a grammar. The compiler itself never refuses:
 * a keyword it does not know is ignored and a value without a type becomes `null`, so
 * output would parse but not validate. This check refuses such schemas up front, naming
 * the keyword, and rewrites the few forms that mean the same as a supported one
 * (`anyOf` as `oneOf`, a type list with object or array as one alternative per type).
 *
 * Every property listed is generated (`required` is then always satisfied); descriptions
 * and other annotations are kept and change nothing.
 */
import { InvalidArgumentError } from "../errors.js";

type Schema = Record<string, unknown>;

const annotations = new Set(["description", "title", "default", "examples", "$schema", "$id", "$comment", "deprecated", "readOnly", "writeOnly", "nullable"]);
const keywordsByType: Record<string, ReadonlySet<string>> = {
  object: new Set(["properties", "required", "additionalProperties", "minProperties", "maxProperties"]),
  array: new Set(["items", "prefixItems", "minItems", "maxItems"]),
  string: new Set(["minLength", "maxLength", "format"]),
  number: new Set(),
  integer: new Set(),
  boolean: new Set(),
  null: new Set(),
};
/** The string formats the compiler has grammars for. */
const stringFormats = new Set(["date", "time", "date-time"]);

/** Checks `schema` against what the grammar compiler handles and returns it in the compiler's words; throws InvalidArgumentError naming `argument` and the keyword. */
export function grammarJsonSchema(schema: unknown, argument: string): Schema {
  return normalize(schema, argument);
}

function normalize(schema: unknown, path: string): Schema {
  if (typeof schema !== "object" || schema === null || Array.isArray(schema)) throw refuse(path, "expected a JSON Schema object");
  const source = schema as Schema;
  const out: Schema = {};
  for (const [key, value] of Object.entries(source)) if (annotations.has(key)) out[key] = value;
  if (source.$defs !== undefined) out.$defs = mapEntries(source.$defs, `${path}.$defs`);
  const composed = source.anyOf ?? source.oneOf;
  if (source.$ref !== undefined) {
    if (typeof source.$ref !== "string" || !source.$ref.startsWith("#/$defs/")) throw refuse(`${path}.$ref`, 'only references into "#/$defs/" are supported');
    rejectOthers(source, path, new Set(["$ref", "$defs"]));
    return { ...out, $ref: source.$ref };
  }
  if (composed !== undefined) {
    const keyword = source.anyOf !== undefined ? "anyOf" : "oneOf";
    if (!Array.isArray(composed) || composed.length === 0) throw refuse(`${path}.${keyword}`, "expected a non-empty array of schemas");
    rejectOthers(source, path, new Set(["anyOf", "oneOf", "$defs"]));
    return { ...out, oneOf: composed.map((item, index) => normalize(item, `${path}.${keyword}[${index}]`)) };
  }
  if (source.const !== undefined || source.enum !== undefined) {
    const values = source.const !== undefined ? [source.const] : source.enum;
    if (!Array.isArray(values) || values.length === 0 || !values.every(isLiteral)) throw refuse(`${path}.${source.const !== undefined ? "const" : "enum"}`, "only strings, numbers, booleans and null are supported");
    rejectOthers(source, path, new Set(["const", "enum", "type", "$defs"]));
    return source.const !== undefined ? { ...out, const: source.const } : { ...out, enum: values };
  }
  const types = source.type === undefined ? [] : Array.isArray(source.type) ? source.type : [source.type];
  if (types.length === 0) throw refuse(path, "every value needs a type (or enum, const, oneOf, anyOf, $ref): an untyped value cannot be constrained");
  for (const type of types) if (typeof type !== "string" || keywordsByType[type] === undefined) throw refuse(`${path}.type`, `unknown type ${JSON.stringify(type)}`);
  if (types.length > 1 && types.some((type) => type === "object" || type === "array")) {
    return { ...out, oneOf: (types as string[]).map((type) => normalize({ ...source, type }, path)) };
  }
  const allowed = new Set(["type", "$defs", ...types.flatMap((type) => [...keywordsByType[type as string]!])]);
  rejectOthers(withoutSafeIntegerBounds(source, types), path, allowed);
  const typed: Schema = { ...out, type: types.length === 1 ? types[0] : types };
  if (types[0] === "object") Object.assign(typed, objectKeywords(source, path));
  else if (types[0] === "array") Object.assign(typed, arrayKeywords(source, path));
  else if (types[0] === "string") Object.assign(typed, stringKeywords(source, path));
  return typed;
}

function objectKeywords(source: Schema, path: string): Schema {
  const properties = source.properties === undefined ? {} : mapEntries(source.properties, `${path}.properties`);
  const out: Schema = { properties };
  if (source.required !== undefined) {
    if (!Array.isArray(source.required)) throw refuse(`${path}.required`, "expected an array of property names");
    const missing = source.required.find((name) => typeof name !== "string" || !(name in properties));
    if (missing !== undefined) throw refuse(`${path}.required`, `${JSON.stringify(missing)} is required but not among the properties`);
  }
  const additional = source.additionalProperties;
  if (additional !== undefined && typeof additional !== "boolean") out.additionalProperties = normalize(additional, `${path}.additionalProperties`);
  else if (additional === true) out.additionalProperties = true;
  for (const key of ["minProperties", "maxProperties"]) copyCount(source, out, key, path);
  return out;
}

function arrayKeywords(source: Schema, path: string): Schema {
  const out: Schema = {};
  if (source.items !== undefined) {
    if (typeof source.items === "boolean" || Array.isArray(source.items)) throw refuse(`${path}.items`, "expected one schema for every item (use prefixItems for tuples)");
    out.items = normalize(source.items, `${path}.items`);
  }
  if (source.prefixItems !== undefined) {
    if (!Array.isArray(source.prefixItems)) throw refuse(`${path}.prefixItems`, "expected an array of schemas");
    out.prefixItems = source.prefixItems.map((item, index) => normalize(item, `${path}.prefixItems[${index}]`));
  }
  for (const key of ["minItems", "maxItems"]) copyCount(source, out, key, path);
  return out;
}

function stringKeywords(source: Schema, path: string): Schema {
  const out: Schema = {};
  for (const key of ["minLength", "maxLength"]) copyCount(source, out, key, path);
  if (source.format !== undefined) {
    if (typeof source.format !== "string" || !stringFormats.has(source.format)) throw refuse(`${path}.format`, `only the formats ${[...stringFormats].join(", ")} are supported`);
    if (out.minLength !== undefined || out.maxLength !== undefined) throw refuse(`${path}.format`, "a formatted string cannot also have a length limit");
    out.format = source.format;
  }
  return out;
}

/**
 * zod's `.int()` (and so LangChain's and the AI SDK's tool schemas) writes the bounds of a
 * safe integer, `minimum: -(2^53 - 1)`, `maximum: 2^53 - 1`. They say "an integer a
 * JavaScript number holds", not a range the caller chose, so they are dropped rather than
 * refused. (The grammar writes at most 16 digits, so a value past 2^53 is possible in
 * principle; any tighter bound is still refused.)
 */
function withoutSafeIntegerBounds(source: Schema, types: readonly unknown[]): Schema {
  if (!types.includes("integer") && !types.includes("number")) return source;
  const { minimum, maximum, ...rest } = source;
  const loose = (minimum === undefined || (typeof minimum === "number" && minimum <= Number.MIN_SAFE_INTEGER)) && (maximum === undefined || (typeof maximum === "number" && maximum >= Number.MAX_SAFE_INTEGER));
  return loose ? rest : source;
}

function rejectOthers(source: Schema, path: string, allowed: ReadonlySet<string>): void {
  for (const key of Object.keys(source)) {
    if (!allowed.has(key) && !annotations.has(key)) throw refuse(`${path}.${key}`, `the keyword "${key}" is not supported by the grammar compiler here; output could not be guaranteed to match`);
  }
}

function mapEntries(value: unknown, path: string): Schema {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw refuse(path, "expected an object of schemas");
  return Object.fromEntries(Object.entries(value).map(([name, item]) => [name, normalize(item, `${path}.${name}`)]));
}

function copyCount(source: Schema, out: Schema, key: string, path: string): void {
  const value = source[key];
  if (value === undefined) return;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) throw refuse(`${path}.${key}`, "expected a non-negative integer");
  out[key] = value;
}

function isLiteral(value: unknown): boolean {
  return value === null || ["string", "number", "boolean"].includes(typeof value);
}

function refuse(path: string, message: string): InvalidArgumentError {
  return new InvalidArgumentError(path, message);
}
