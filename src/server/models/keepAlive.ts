/**
 * `keep_alive`, as Ollama reads it: how long a model stays loaded after its last request.
 * A number is seconds; a string is a duration (`"5m"`, `"30s"`, `"1h30m"`, `"250ms"`) or
 * seconds in text (`"300"`); `0` unloads the model as soon as the request is done; any
 * negative value keeps it loaded for as long as the server runs.
 */
import { z } from "zod";

/** Milliseconds, or Infinity for "keep it loaded". */
export type KeepAliveMs = number;

/** Ollama's default: five minutes. */
export const defaultKeepAliveMs: KeepAliveMs = 5 * 60_000;

const unitMs: Record<string, number> = { ns: 1e-6, us: 1e-3, "µs": 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const durationPart = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/y;

/** Parses a keep-alive value; undefined for text that is not one. */
export function parseKeepAlive(value: string | number): KeepAliveMs | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? fromSeconds(value) : undefined;
  const text = value.trim();
  if (/^-?\d+(\.\d+)?$/.test(text)) return fromSeconds(Number(text));
  const negative = text.startsWith("-");
  const body = negative || text.startsWith("+") ? text.slice(1) : text;
  if (body === "") return undefined;
  let total = 0;
  durationPart.lastIndex = 0;
  while (durationPart.lastIndex < body.length) {
    const start = durationPart.lastIndex;
    const match = durationPart.exec(body);
    if (match === null || match.index !== start) return undefined;
    total += Number(match[1]) * unitMs[match[2]!]!;
  }
  return negative && total > 0 ? Infinity : Math.round(total);
}

function fromSeconds(seconds: number): KeepAliveMs {
  return seconds < 0 ? Infinity : Math.round(seconds * 1000);
}

/** The wire field: a number of seconds or a duration string, validated and turned into milliseconds. */
export const keepAliveSchema = z.union([z.number(), z.string()], { error: 'expected seconds or a duration such as "5m"' }).transform((value, context) => {
  const parsed = parseKeepAlive(value);
  if (parsed === undefined) {
    context.addIssue({ code: "custom", message: 'expected seconds or a duration such as "5m", "30s", 0 or -1' });
    return z.NEVER;
  }
  return parsed;
});

/** A keep-alive as text for logs and docs: `"forever"`, `"0s"`, `"5m0s"`-like seconds. */
export function describeKeepAlive(keepAliveMs: KeepAliveMs): string {
  return keepAliveMs === Infinity ? "forever" : `${keepAliveMs / 1000}s`;
}
