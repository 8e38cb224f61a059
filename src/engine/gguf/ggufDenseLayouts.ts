/**
 * The architectures whose tensor layout is the llama one, and how each differs, read from
 * their `load_arch_tensors` in llama.cpp's src/models/*.cpp: for these, every tensor's
 * shape is checked against the hyperparameters, and the hyperparameters they cannot run
 * without are required. A feed-forward length that disagrees with the weights (but is
 * whole blocks) would otherwise be rejected without a reason, or abort in an
 * architecture's graph.
 */
import { ModelLoadError } from "../../errors.js";
import type { GgufHeader } from "./ggufHeader.js";
import type { Hyperparameters } from "./ggufHyperparameters.js";
import { getMetadataArray, getMetadataNumber } from "./ggufMetadata.js";
import type { GgufTensorInfo } from "./ggufTensorInfo.js";

export interface DenseLayout {
  /** Query projection width: the heads' total width, or the embedding width (qwen2 and phi3 use n_embd). */
  readonly queryWidth: "heads" | "embedding";
  /** `ffn_up` rows per feed-forward unit: phi3 stores gate and up in one matrix of twice the width. */
  readonly upFactor: number;
  /** Whether the layer has a separate `ffn_gate`. */
  readonly gate: boolean;
  /** Whether rotary embedding must cover whole heads (the graph asserts `n_embd_head == n_rot`). */
  readonly fullRope: boolean;
}

const llamaLayout: DenseLayout = { queryWidth: "heads", upFactor: 1, gate: true, fullRope: true };
const gemmaLayout: DenseLayout = { ...llamaLayout, fullRope: false };

/** Architectures with the llama tensor layout, and how each differs. */
const denseLayouts: ReadonlyMap<string, DenseLayout> = new Map([
  ["llama", llamaLayout],
  ["mistral3", llamaLayout],
  ["qwen3", llamaLayout],
  ["gemma", gemmaLayout],
  ["gemma2", gemmaLayout],
  ["gemma3", gemmaLayout],
  ["smollm3", llamaLayout],
  ["exaone", llamaLayout],
  ["granite", llamaLayout],
  ["arcee", { ...llamaLayout, gate: false }],
  ["qwen2", { ...llamaLayout, queryWidth: "embedding" }],
  ["internlm2", { ...llamaLayout, queryWidth: "embedding" }],
  ["phi3", { queryWidth: "embedding", upFactor: 2, gate: false, fullRope: false }],
]);

/** The layout of an architecture, when it is one of the llama-like ones. */
export function denseLayoutOf(architecture: string): DenseLayout | undefined {
  return denseLayouts.get(architecture);
}

/**
 * One expected dimension: its size and where it comes from, for the reason. `source` is a
 * key (shown as "key 192") or, when `derived`, a formula (shown as "formula = 32").
 */
interface Dimension {
  readonly size: number;
  readonly source: string;
  readonly derived?: boolean;
}

export function checkDenseLayout(header: GgufHeader, parameters: Hyperparameters, layout: DenseLayout, byName: ReadonlyMap<string, GgufTensorInfo>): void {
  const key = (name: string) => `${header.architecture}.${name}`;
  const heads = requirePerLayer(header, parameters.headCount, key("attention.head_count"));
  const kvHeads = requirePerLayer(header, parameters.headCountKv, key("attention.head_count_kv"));
  const dense = parameters.expertCount === 0;
  const feedForward = dense ? requirePerLayer(header, parameters.feedForwardLength, key("feed_forward_length")) : [];
  if (!header.metadata.has(key("attention.layer_norm_rms_epsilon"))) {
    throw new ModelLoadError(header.path, `missing ${key("attention.layer_norm_rms_epsilon")}, which a "${header.architecture}" model requires`);
  }

  const embedding: Dimension = { size: parameters.embeddingLength, source: key("embedding_length") };
  const vocabulary: Dimension = { size: getMetadataArray(header, "tokenizer.ggml.tokens")?.length ?? 0, source: "the length of tokenizer.ggml.tokens" };
  // The first file of a split model holds all the metadata but only some of the tensors:
  // those it has are checked, and the rest are the other files' business.
  const wholeModel = !((getMetadataNumber(header, "split.count") ?? 1) > 1);
  const check = (name: string, expected: readonly Dimension[], required: boolean) => checkShape(header, byName, name, expected, required && wholeModel);
  check("token_embd.weight", [embedding, vocabulary], true);
  check("output_norm.weight", [embedding], true);
  check("output.weight", [embedding, vocabulary], false);

  const headWidth = (length: number | undefined, name: string): Dimension =>
    length === undefined
      ? { size: Math.floor(parameters.embeddingLength / heads[0]!), source: `${key("embedding_length")} / ${key("attention.head_count")}`, derived: true }
      : { size: length, source: key(name) };
  const keyWidth = headWidth(parameters.keyLength, "attention.key_length");
  if (layout.fullRope && parameters.ropeDimensions !== undefined && parameters.ropeDimensions !== keyWidth.size) {
    throw new ModelLoadError(header.path, `${key("rope.dimension_count")} is ${parameters.ropeDimensions}, but a "${header.architecture}" model rotates whole heads of ${keyWidth.size}`);
  }
  const valueWidth = headWidth(parameters.valueLength, "attention.value_length");
  for (let layer = 0; layer < parameters.blockCount; layer++) {
    const tensor = (name: string) => `blk.${layer}.${name}.weight`;
    const times = (width: Dimension, count: number, what: string): Dimension => ({ size: width.size * count, source: `${width.source} x ${key(what)} ${count}`, derived: true });
    const query = layout.queryWidth === "embedding" ? embedding : times(keyWidth, heads[layer]!, "attention.head_count");
    const keys = times(keyWidth, kvHeads[layer]!, "attention.head_count_kv");
    const values = times(valueWidth, kvHeads[layer]!, "attention.head_count_kv");
    check(tensor("attn_norm"), [embedding], true);
    check(tensor("attn_q"), [embedding, query], !byName.has(tensor("attn_qkv")));
    check(tensor("attn_k"), [embedding, keys], false);
    check(tensor("attn_v"), [embedding, values], false);
    check(tensor("attn_qkv"), [embedding, { size: query.size + keys.size + values.size, source: "the query, key and value widths", derived: true }], false);
    check(tensor("attn_output"), [query, embedding], true);
    check(tensor("attn_q_norm"), [keyWidth], false);
    check(tensor("attn_k_norm"), [keyWidth], false);
    if (!dense) continue;
    const feedForwardWidth: Dimension = { size: feedForward[layer]!, source: key("feed_forward_length") };
    check(tensor("ffn_norm"), [embedding], true);
    check(tensor("ffn_gate"), [embedding, feedForwardWidth], layout.gate);
    const upWidth: Dimension = layout.upFactor === 1 ? feedForwardWidth : { size: feedForwardWidth.size * layout.upFactor, source: `${layout.upFactor} x ${feedForwardWidth.source}`, derived: true };
    check(tensor("ffn_up"), [embedding, upWidth], true);
    check(tensor("ffn_down"), [feedForwardWidth, embedding], true);
  }
}

/** A per-layer hyperparameter this layout cannot run without, every layer at least 1. */
function requirePerLayer(header: GgufHeader, values: readonly number[] | undefined, key: string): readonly number[] {
  if (values === undefined) throw new ModelLoadError(header.path, `missing ${key}, which a "${header.architecture}" model requires`);
  const zero = values.indexOf(0);
  if (zero !== -1) throw new ModelLoadError(header.path, `${key} is 0 for layer ${zero} (must be at least 1 in a "${header.architecture}" model)`);
  return values;
}

function checkShape(header: GgufHeader, byName: ReadonlyMap<string, GgufTensorInfo>, name: string, expected: readonly Dimension[], required: boolean): void {
  const tensor = byName.get(name);
  if (tensor === undefined) {
    if (required) throw new ModelLoadError(header.path, `missing tensor "${name}", which a "${header.architecture}" model requires`);
    return;
  }
  const sizes = expected.map(({ size }) => size);
  if (sameShape(tensor.dimensions, sizes)) return;
  const sources = expected.map(({ size, source, derived }) => (derived ? `${source} = ${size}` : `${source} ${size}`)).join(", ");
  throw new ModelLoadError(header.path, `tensor "${name}" has shape [${tensor.dimensions.join(", ")}], but the hyperparameters (${sources}) make it [${sizes.join(", ")}]`);
}

/** Equal up to trailing dimensions of 1, as ggml compares them. */
function sameShape(actual: readonly number[], expected: readonly number[]): boolean {
  const length = Math.max(actual.length, expected.length);
  for (let index = 0; index < length; index++) if ((actual[index] ?? 1) !== (expected[index] ?? 1)) return false;
  return true;
}
