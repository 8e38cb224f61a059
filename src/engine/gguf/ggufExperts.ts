/**
 * The expert counts of mixture-of-experts models, checked as llama.cpp asserts them in
 * `load_hparams` ("validate the maximum", llama-model.cpp): each failed assertion there
 * aborts the process.
 */
import type { GgufHeader } from "./ggufHeader.js";
import { metadataError } from "./ggufModelErrors.js";
import { optionalUint32, perLayerUint32 } from "./ggufTypedValues.js";

/** LLAMA_MAX_EXPERTS in llama-hparams.h. */
const maxExperts = 1024;

/** Checks `expert_count`, `expert_used_count` and the expert groups; returns the expert count (0 for a dense model). */
export function checkExperts(header: GgufHeader, blockCount: number): number {
  const key = (name: string) => `${header.architecture}.${name}`;
  const experts = optionalUint32(header, key("expert_count"), { minimum: 0, maximum: maxExperts }) ?? 0;
  const used = Math.max(0, ...(perLayerUint32(header, key("expert_used_count"), blockCount) ?? [0]));
  const groups = optionalUint32(header, key("expert_group_count"), { minimum: 0, maximum: maxExperts }) ?? 0;
  const groupsUsed = optionalUint32(header, key("expert_group_used_count"), { minimum: 0, maximum: maxExperts }) ?? 0;
  const refuse = (name: string, value: number, problem: string) => metadataError(header, key(name), `is ${value}: ${problem}`);
  if (used > experts) throw refuse("expert_used_count", used, `more than the ${experts} experts of ${key("expert_count")}`);
  if (experts === 0 && groups !== 0) throw refuse("expert_group_count", groups, "a model without experts has no expert groups");
  if (experts > 0) {
    if (used === 0) throw metadataError(header, key("expert_used_count"), `is 0, but ${key("expert_count")} is ${experts}: a model with experts must use at least one`);
    if (groups >= experts) throw refuse("expert_group_count", groups, `must be below the ${experts} experts`);
    if (groups > 1 && (experts % groups !== 0 || groupsUsed === 0 || groupsUsed >= groups)) {
      throw refuse("expert_group_used_count", groupsUsed, `must be 1 to ${groups - 1}, with ${groups} groups dividing ${experts} experts`);
    }
  }
  return experts;
}
