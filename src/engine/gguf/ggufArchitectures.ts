/**
 * The model architectures the installed engine can run, as `general.architecture` spells
 * them.
 *
 * Source: `GgufArchitectureType` in node-llama-cpp 3.22.1
 * (dist/gguf/types/GgufMetadataTypes.js), its mirror of llama.cpp's `LLM_ARCH_NAMES`.
 * It is a `const enum` in the typings, so it cannot be read at run time without going
 * behind the types; the list is copied here, and test/unit/ggufHeader.test.ts fails when
 * an upgrade of node-llama-cpp adds a name this copy lacks. Left out: "(unknown)" (a
 * placeholder) and "clip" (multimodal projector files, which the model loader rejects).
 *
 * The last line holds names that the native table inside the prebuilt binary
 * (libllama.v0.5.0.so, the string table next to "general.architecture") has but the
 * TypeScript enum does not yet mirror.
 */
const architectureNames = [
  "llama", "llama4", "deci", "falcon", "grok", "gpt2", "gptj", "gptneox", "mpt", "baichuan", "starcoder",
  "refact", "bert", "modern-bert", "nomic-bert", "nomic-bert-moe", "neo-bert", "jina-bert-v2",
  "jina-bert-v3", "eurobert", "bloom", "stablelm", "qwen", "qwen2", "qwen2moe", "qwen2vl", "qwen3",
  "qwen3moe", "qwen3next", "qwen3vl", "qwen3vlmoe", "qwen35", "qwen35moe", "phi2", "phi3", "phimoe", "plamo",
  "plamo2", "plamo3", "codeshell", "orion", "internlm2", "minicpm", "minicpm3", "gemma", "gemma2", "gemma3",
  "gemma3n", "gemma4", "gemma4-assistant", "gemma-embedding", "starcoder2", "mamba", "mamba2", "jamba",
  "falcon-h1", "xverse", "command-r", "cohere2", "cohere2moe", "dbrx", "olmo", "olmo2", "olmoe",
  "muse-glimmer", "openelm", "arctic", "deepseek", "deepseek2", "deepseek2-ocr", "deepseek32", "deepseek4",
  "chatglm", "glm4", "glm4moe", "glm-dsa", "bitnet", "t5", "t5encoder", "jais", "jais2", "nemotron",
  "nemotron_h", "nemotron_h_moe", "exaone", "exaone4", "exaone-moe", "rwkv6", "rwkv6qwen2", "rwkv7",
  "arwkv7", "granite", "granitemoe", "granitehybrid", "graniteswitch", "chameleon", "wavtokenizer-dec",
  "plm", "bailingmoe", "bailingmoe2", "dots1", "arcee", "afmoe", "laguna", "ernie4_5", "ernie4_5-moe",
  "hunyuan-moe", "hunyuan-dense", "hunyuan_vl", "hy_v3", "smollm3", "gpt-oss", "lfm2", "lfm2moe", "dream",
  "smallthinker", "llada", "llada-moe", "seed_oss", "grovemoe", "apertus", "minimax-m2", "minimax-m3",
  "cogvlm", "rnd1", "pangu-embedded", "mistral3", "eagle3", "dflash", "mistral4", "paddleocr", "mimo2",
  "step35", "llama-embed", "maincoder", "kimi-linear", "talkie", "mellum", "nanbeige", "qwen3tts",
  "qwen4exp", "maple", "granite_swa", "bailingmoe3", "dots3note", "hy_v4", "minimax-01", "hrm_text", "spark2_5", "kimi-k3", "pockettts",
];

export const supportedArchitectures: ReadonlySet<string> = new Set(architectureNames);

/** True when the engine knows how to run models of this architecture. */
export function isSupportedArchitecture(architecture: string): boolean {
  return supportedArchitectures.has(architecture);
}
