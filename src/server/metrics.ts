/**
 * A minimal Prometheus registry: counters with labels, gauges read at scrape time, and
 * histograms, written in the text exposition format (version 0.0.4). The format is a few
 * lines per metric, so it is written here rather than pulled in with prom-client and its
 * process-wide default registry.
 */

export const prometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

type Labels = Readonly<Record<string, string>>;

interface Metric {
  readonly name: string;
  render(): string;
}

/** A value that only goes up, one series per label combination. */
export class Counter implements Metric {
  readonly #series = new Map<string, { labels: Labels; value: number }>();

  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  increment(labels: Labels = {}, amount = 1): void {
    const key = seriesKey(labels);
    const series = this.#series.get(key);
    if (series === undefined) this.#series.set(key, { labels: { ...labels }, value: amount });
    else series.value += amount;
  }

  /** The current value of one series (0 when never incremented). */
  value(labels: Labels = {}): number {
    return this.#series.get(seriesKey(labels))?.value ?? 0;
  }

  render(): string {
    let out = header(this.name, this.help, "counter");
    if (this.#series.size === 0) return out + `${this.name} 0\n`;
    for (const { labels, value } of this.#series.values()) out += `${this.name}${formatLabels(labels)} ${formatNumber(value)}\n`;
    return out;
  }
}

/** One series of a labelled gauge. */
export interface GaugeSeries {
  readonly labels: Labels;
  readonly value: number;
}

/**
 * A value read when the metrics are scraped (queue depth, busy sequences): one number, or
 * one series per label set (per model). A count kept elsewhere (by an upstream) is read
 * the same way and typed `counter`.
 */
export class Gauge implements Metric {
  constructor(
    readonly name: string,
    readonly help: string,
    readonly read: () => number | readonly GaugeSeries[],
    readonly type: "gauge" | "counter" = "gauge",
  ) {}

  render(): string {
    const value = this.read();
    if (typeof value === "number") return header(this.name, this.help, this.type) + `${this.name} ${formatNumber(value)}\n`;
    return header(this.name, this.help, this.type) + value.map((series) => `${this.name}${formatLabels(series.labels)} ${formatNumber(series.value)}\n`).join("");
  }
}

/** Counts observations into cumulative buckets (upper bounds, in the metric's unit). */
export class Histogram implements Metric {
  readonly #bounds: readonly number[];
  readonly #counts: number[];
  #sum = 0;
  #count = 0;

  constructor(
    readonly name: string,
    readonly help: string,
    bounds: readonly number[],
  ) {
    this.#bounds = [...bounds].sort((a, b) => a - b);
    this.#counts = this.#bounds.map(() => 0);
  }

  observe(value: number, times = 1): void {
    if (!Number.isFinite(value) || times <= 0) return;
    for (let index = 0; index < this.#bounds.length; index++) {
      if (value <= this.#bounds[index]!) this.#counts[index]! += times;
    }
    this.#sum += value * times;
    this.#count += times;
  }

  get count(): number {
    return this.#count;
  }

  render(): string {
    let out = header(this.name, this.help, "histogram");
    this.#bounds.forEach((bound, index) => {
      out += `${this.name}_bucket{le="${formatNumber(bound)}"} ${this.#counts[index]}\n`;
    });
    out += `${this.name}_bucket{le="+Inf"} ${this.#count}\n`;
    out += `${this.name}_sum ${formatNumber(this.#sum)}\n`;
    out += `${this.name}_count ${this.#count}\n`;
    return out;
  }
}

export class MetricsRegistry {
  readonly #metrics: Metric[] = [];

  register<T extends Metric>(metric: T): T {
    this.#metrics.push(metric);
    return metric;
  }

  /** Every metric in the text exposition format. */
  render(): string {
    return this.#metrics.map((metric) => metric.render()).join("");
  }
}

function header(name: string, help: string, type: string): string {
  return `# HELP ${name} ${help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}\n# TYPE ${name} ${type}\n`;
}

function seriesKey(labels: Labels): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function formatLabels(labels: Labels): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return "";
  return `{${entries.map(([name, value]) => `${name}="${escapeLabelValue(value)}"`).join(",")}}`;
}

/** Label values escape backslash, double quote and line feed; nothing else. */
function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function formatNumber(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}
