/** Markdown helpers for the benchmark report. */
import { formatSpread, type Spread } from "./stats.ts";

export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  return [`| ${headers.join(" | ")} |`, `|${headers.map(() => "---").join("|")}|`, ...rows.map((row) => `| ${row.join(" | ")} |`)].join("\n");
}

/** A ratio spread with three decimals. */
export function ratio(value: Spread): string {
  return formatSpread(value, 3);
}

export function megabytes(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(bytes < 10 * 2 ** 20 ? 1 : 0)} MiB`;
}
