/**
 * How much CPU other processes used while a section ran: the figures of a section whose
 * neighbours kept a core busy are disturbed, whatever the load average said before.
 * Machine-wide busy time (all cores) minus this process's and its finished children's.
 */
import { readFileSync } from "node:fs";
import { cpus } from "node:os";

interface Snapshot {
  at: number;
  machineMs: number;
  ownMs: number;
}

/** CPU time of children that have exited and been waited for (Linux; 0 elsewhere). */
function childrenMilliseconds(): number {
  try {
    // Fields 16 and 17 of /proc/self/stat (cutime, cstime), in clock ticks of 10 ms.
    const fields = readFileSync("/proc/self/stat", "utf8").split(") ")[1]!.split(" ");
    return (Number(fields[13]) + Number(fields[14])) * 10;
  } catch {
    return 0;
  }
}

function snapshot(): Snapshot {
  let machineMs = 0;
  for (const { times } of cpus()) machineMs += times.user + times.nice + times.sys + times.irq;
  const { user, system } = process.cpuUsage();
  return { at: performance.now(), machineMs, ownMs: (user + system) / 1000 + childrenMilliseconds() };
}

/** Starts measuring; the returned function gives the average cores other processes kept busy since. */
export function watchNeighbours(): () => number {
  const start = snapshot();
  return () => {
    const end = snapshot();
    return Math.max(0, (end.machineMs - start.machineMs - (end.ownMs - start.ownMs)) / (end.at - start.at));
  };
}
