/** mullama's own version, read from package.json (two levels up from both src/server and dist/server). */
import { readFileSync } from "node:fs";

export const serverVersion: string = readVersion();

function readVersion(): string {
  try {
    const manifest = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version?: unknown };
    return typeof manifest.version === "string" ? manifest.version : "0.0.0";
  } catch {
    return "0.0.0";
  }
}
