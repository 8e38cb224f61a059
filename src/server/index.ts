/** The server's public surface: an explicit list, for src/index.ts to re-export. */
export { createServer } from "./createServer.js";
export type { MullamaServer, ServerAddress } from "./createServer.js";
export type { ServerOptions, ServerLoggerOptions } from "./serverOptions.js";
export { serverDefaults } from "./serverOptions.js";
export type { ServerPhase } from "./serverRuntime.js";
