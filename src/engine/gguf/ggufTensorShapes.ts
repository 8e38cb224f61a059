/**
 * Tensors against the hyperparameters, for every architecture: layer tensors only for
 * layers below `block_count`, and row lengths that are whole quantization blocks. The
 * layouts mullama knows in full get every tensor's shape checked (ggufDenseLayouts.ts).
 *
 * llama.cpp checks shapes too, but only after a first pass that builds every tensor from
 * the hyperparameters alone (the memory-fit pass, `files.empty()` in
 * llama-model-loader.cpp): a dimension that comes out 0 or not whole blocks there aborts
 * the process before any check can reject the file.
 */
import { ModelLoadError } from "../../errors.js";
import { checkDenseLayout, denseLayoutOf } from "./ggufDenseLayouts.js";
import { ggmlTypeByName } from "./ggufFormat.js";
import type { GgufHeader } from "./ggufHeader.js";
import type { Hyperparameters } from "./ggufHyperparameters.js";
import type { GgufTensorInfo } from "./ggufTensorInfo.js";

/** Checks the tensors against the hyperparameters. @throws ModelLoadError naming the tensor, its shape and the keys. */
export function checkTensorShapes(header: GgufHeader, hyperparameters: Hyperparameters): void {
  const { blockCount } = hyperparameters;
  const byName = new Map(header.tensors.map((tensor) => [tensor.name, tensor]));
  for (const tensor of header.tensors) {
    const block = /^blk\.(\d+)\./.exec(tensor.name)?.[1];
    if (block !== undefined && Number(block) >= blockCount) {
      throw new ModelLoadError(header.path, `tensor "${tensor.name}" belongs to layer ${block}, but ${header.architecture}.block_count is ${blockCount}`);
    }
  }
  checkWholeBlocks(header, hyperparameters, byName);
  const layout = denseLayoutOf(header.architecture);
  if (layout !== undefined) checkDenseLayout(header, hyperparameters, layout, byName);
}

/**
 * Rows of a quantized tensor hold whole blocks (32 values for Q8_0, 256 for the K
 * quants). llama.cpp's first pass sizes tensors from the hyperparameters with the file's
 * types, and a row length that is not whole blocks gives a row stride of 0, which ggml
 * reads as a transposed matrix and aborts on (`!ggml_is_transposed(a)`), in every
 * architecture. The embedding width is the row length of the embedding and of each
 * layer's input projections, the feed-forward length that of `ffn_down`, in all but a
 * few architectures; a real model has whole blocks there by construction.
 */
function checkWholeBlocks(header: GgufHeader, parameters: Hyperparameters, byName: ReadonlyMap<string, GgufTensorInfo>): void {
  const key = (name: string) => `${header.architecture}.${name}`;
  const check = (tensorName: string, value: number, source: string) => {
    const tensor = byName.get(tensorName);
    const blockSize = tensor === undefined ? 1 : (ggmlTypeByName(tensor.type)?.blockSize ?? 1);
    if (value % blockSize !== 0) {
      throw new ModelLoadError(header.path, `${source} is ${value}, not a whole number of ${tensor!.type} blocks of ${blockSize} for the rows of tensor "${tensorName}"`);
    }
  };
  for (const name of ["token_embd.weight", "output.weight"]) check(name, parameters.embeddingLength, key("embedding_length"));
  for (let layer = 0; layer < parameters.blockCount; layer++) {
    for (const name of ["attn_q", "attn_k", "attn_v", "attn_qkv", "ffn_gate", "ffn_up"]) check(`blk.${layer}.${name}.weight`, parameters.embeddingLength, key("embedding_length"));
    const feedForward = parameters.feedForwardLength?.[layer];
    if (parameters.expertCount === 0 && feedForward !== undefined) check(`blk.${layer}.ffn_down.weight`, feedForward, key("feed_forward_length"));
  }
}
