/**
 * A competing process that keeps one core busy, for "the machine is not ours alone"
 * measurements. It spins in a child process and ends by itself after `maxSeconds` even
 * if the benchmark dies, and it is killed when the benchmark exits.
 */
import { spawn } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";

export interface BusyProcess {
  stop(): Promise<void>;
}

export async function startBusyProcess(maxSeconds: number): Promise<BusyProcess> {
  const child = spawn(process.execPath, ["-e", `const end = Date.now() + ${Math.round(maxSeconds * 1000)}; let x = 0; while (Date.now() < end) x++;`], { stdio: "ignore" });
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  // Let it start spinning (and the scheduler notice it) before measuring.
  await sleep(300);
  return {
    stop: async () => {
      process.removeListener("exit", killOnExit);
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}
