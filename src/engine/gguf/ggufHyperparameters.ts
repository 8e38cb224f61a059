/**
 * The hyperparameters every architecture shares (`<arch>.context_length`, `.block_count`,
 * head counts, experts, norms), read with the types llama.cpp reads them with and checked
 * against the limits it asserts. Source: `llama_model_base::load_hparams` in
 * llama-model.cpp (llama.cpp v0.5.0, bundled with node-llama-cpp 3.22.1).
 *
 * The checks that matter most are the ones llama.cpp makes with GGML_ASSERT, which aborts
 * the process: block_count outside 1..512, expert counts out of step, an unknown rope
 * scaling type; and values it trusts that abort later: a zero head count makes a tensor
 * dimension 0 (`t_meta.ne[dim] >= 1`), a negative or NaN norm epsilon aborts the first
 * decode (`eps >= 0.0f` in ggml's ops.cpp).
 */
import { checkExperts } from "./ggufExperts.js";
import type { GgufHeader } from "./ggufHeader.js";
import { describeValue, metadataError } from "./ggufModelErrors.js";
import { checkPositiveFloat32, int32Max, optionalUint32, perLayerUint32, requiredUint32 } from "./ggufTypedValues.js";

/** LLAMA_MAX_LAYERS in llama-hparams.h. */
const maxLayers = 512;
/** LLAMA_ROPE_SCALING_TYPES in llama-model.cpp; anything else is a GGML_ASSERT. */
const ropeScalingTypes: ReadonlySet<string> = new Set(["none", "linear", "yarn", "longrope"]);
/** Norm epsilons: each is a divisor's guard, so it must be a positive, finite float32. */
const epsilonNames = ["attention.layer_norm_rms_epsilon", "attention.layer_norm_epsilon", "attention.group_norm_epsilon"];

/** Hyperparameters that may hold one value per layer (`get_key_or_arr` in llama.cpp). */
const perLayerNames = ["attention.head_count", "attention.head_count_kv", "feed_forward_length", "expert_used_count"];

/** True for a key that may hold one value per layer, which validation needs whole. */
export function isPerLayerHyperparameter(key: string): boolean {
  return perLayerNames.some((name) => key.endsWith(`.${name}`));
}

/** What the shared hyperparameters say; per-layer values have one entry per block. */
export interface Hyperparameters {
  readonly contextLength: number;
  readonly embeddingLength: number;
  readonly blockCount: number;
  /** `attention.head_count` per layer, or undefined when the file has none. */
  readonly headCount: readonly number[] | undefined;
  /** `attention.head_count_kv` per layer; defaults to the head count, as in llama.cpp. */
  readonly headCountKv: readonly number[] | undefined;
  readonly feedForwardLength: readonly number[] | undefined;
  /** `attention.key_length`; when absent a head is embeddingLength / headCount wide. */
  readonly keyLength: number | undefined;
  readonly valueLength: number | undefined;
  /** `rope.dimension_count`: how much of each head rotary embedding covers. */
  readonly ropeDimensions: number | undefined;
  readonly expertCount: number;
}

/** Reads and checks the shared hyperparameters. @throws ModelLoadError naming the key and value. */
export function readHyperparameters(header: GgufHeader): Hyperparameters {
  const key = (name: string) => `${header.architecture}.${name}`;
  const contextLength = requiredUint32(header, key("context_length"), { minimum: 1, maximum: int32Max, why: "the engine keeps it in a signed 32-bit integer" });
  const embeddingLength = requiredUint32(header, key("embedding_length"), { minimum: 1, maximum: int32Max });
  const blockCount = requiredUint32(header, key("block_count"), { minimum: 1, maximum: maxLayers, why: "the engine supports 1 to 512 layers" });
  optionalUint32(header, key("nextn_predict_layers"), { minimum: 0, maximum: blockCount, why: "at most block_count" });
  const headCount = perLayerUint32(header, key("attention.head_count"), blockCount);
  const headCountKv = perLayerUint32(header, key("attention.head_count_kv"), blockCount) ?? headCount;
  const feedForwardLength = perLayerUint32(header, key("feed_forward_length"), blockCount);
  const keyLength = optionalUint32(header, key("attention.key_length"), { minimum: 1, maximum: int32Max });
  const valueLength = optionalUint32(header, key("attention.value_length"), { minimum: 1, maximum: int32Max });
  if (headCount !== undefined && headCountKv !== undefined) checkHeadGroups(header, key("attention.head_count_kv"), headCount, headCountKv);
  const firstHeads = headCount?.[0] ?? 0;
  if (firstHeads > 0 && keyLength === undefined && embeddingLength % firstHeads !== 0) {
    throw metadataError(header, key("attention.head_count"), `is ${firstHeads}, which does not divide ${key("embedding_length")} ${embeddingLength} into whole heads`);
  }
  const ropeDimensions = optionalUint32(header, key("rope.dimension_count"), { minimum: 0, maximum: int32Max });
  // ggml's rope rotates the first n_dims values of each key head and asserts n_dims <= the head's width.
  const keyHeadWidth = keyLength ?? (firstHeads > 0 ? Math.floor(embeddingLength / firstHeads) : undefined);
  if (ropeDimensions !== undefined && keyHeadWidth !== undefined && ropeDimensions > keyHeadWidth) {
    throw metadataError(header, key("rope.dimension_count"), `is ${ropeDimensions}, wider than an attention head (${keyHeadWidth})`);
  }
  const expertCount = checkExperts(header, blockCount);
  const ropeScaling = header.metadata.get(key("rope.scaling.type"));
  if (ropeScaling !== undefined && (typeof ropeScaling !== "string" || !ropeScalingTypes.has(ropeScaling))) {
    throw metadataError(header, key("rope.scaling.type"), `is ${describeValue(ropeScaling)} (known: ${[...ropeScalingTypes].join(", ")})`);
  }
  for (const name of [...epsilonNames, "rope.freq_base"]) checkPositiveFloat32(header, key(name));
  return { contextLength, embeddingLength, blockCount, headCount, headCountKv, feedForwardLength, keyLength, valueLength, ropeDimensions, expertCount };
}

/** Grouped-query attention shares each key/value head among a whole number of query heads. */
function checkHeadGroups(header: GgufHeader, key: string, heads: readonly number[], kvHeads: readonly number[]): void {
  for (let layer = 0; layer < heads.length; layer++) {
    const [query, shared] = [heads[layer]!, kvHeads[layer]!];
    if (shared > query || (shared > 0 && query % shared !== 0)) {
      throw metadataError(header, key, `is ${shared} for layer ${layer}, which does not divide the layer's ${query} attention heads`);
    }
  }
}
