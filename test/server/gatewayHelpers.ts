/** Shared by the gateway tests: upstream servers on loopback, in-process or as a child `mullama serve` that can be killed. */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { unusedPort } from "../helpers/ports.ts";
import { waitFor } from "./helpers.ts";

const main = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));
const demoModel = fileURLToPath(new URL("../../models/kjv-tiny-q8_0.gguf", import.meta.url));

export interface ChildUpstream {
  child: ChildProcess;
  /** OpenAI base URL. */
  baseUrl: string;
}

/** `mullama serve` on the demo model in a child process (one thread), ready once its /health answers 200. */
export async function startChildUpstream(): Promise<ChildUpstream> {
  const port = await unusedPort();
  const child = spawn(process.execPath, ["--import", "tsx", main, "serve", "-m", demoModel, "--port", String(port), "--threads", "1", "--parallel", "4", "--context-size", "512", "--quiet", "--no-ui"], {
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, MULLAMA_API_KEY: "" },
  });
  let exited = false;
  child.once("exit", () => (exited = true));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      if (exited) throw new Error("the child upstream exited before it was ready");
      return fetch(`${url}/health`).then((response) => response.ok, () => false);
    },
    60_000,
    "the child upstream to be ready",
  );
  return { child, baseUrl: `${url}/v1` };
}

/** Kills a child upstream at once (SIGKILL: no graceful shutdown, its connections reset). */
export async function killChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGKILL");
  await exited;
}
