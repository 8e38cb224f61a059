/**
 * What a well-formed header says, checked against what the engine can run, before the
 * engine sees the file. readGgufHeader checks the file's structure (and that no two tokens
 * collide); this checks its meaning: the shared hyperparameters, the tokenizer and
 * vocabulary, and the tensor shapes. Every rule here stands for a file that made
 * llama.cpp abort the process or load something it cannot run (see the files named below
 * and docs/RELIABILITY.md).
 */
import type { GgufHeader } from "./ggufHeader.js";
import { readHyperparameters, type Hyperparameters } from "./ggufHyperparameters.js";
import { checkTensorShapes } from "./ggufTensorShapes.js";
import { checkVocabulary } from "./ggufVocabulary.js";

/**
 * Checks a header's content; returns the hyperparameters it read.
 * @throws ModelLoadError whose reason names the key (or tensor) and the value at fault.
 */
export function validateGgufModel(header: GgufHeader): Hyperparameters {
  const hyperparameters = readHyperparameters(header);
  checkVocabulary(header);
  checkTensorShapes(header, hyperparameters);
  return hyperparameters;
}
