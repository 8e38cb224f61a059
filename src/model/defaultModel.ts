/** The demo model bundled with the package: the default when no model is given. */
import { fileURLToPath } from "node:url";

/** Absolute path of `models/kjv-tiny-q8_0.gguf` inside the installed package. */
export const defaultModelPath = fileURLToPath(new URL("../../models/kjv-tiny-q8_0.gguf", import.meta.url));
