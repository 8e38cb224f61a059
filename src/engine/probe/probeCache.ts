/**
 * The probe's verdicts, kept on disk so a file is probed once, not on every load.
 *
 * One JSON file, `probe-cache.json`, in the cache directory: `$MULLAMA_CACHE_DIR`, else
 * `$XDG_CACHE_HOME/mullama`, else `~/.cache/mullama`. Entries are keyed by the file's
 * fingerprint (fileFingerprint.ts) and hold the engine version and GPU setting they were
 * found with: another engine build may crash where this one did not, or the reverse.
 * A damaged cache file is read as empty and replaced; writes go through a temporary file
 * and a rename, so a reader never sees half of one.
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";

/** Oldest entries are dropped beyond this many. */
const maxEntries = 1000;
const cacheFileName = "probe-cache.json";

const cachedVerdictSchema = z.object({
  safe: z.boolean(),
  reason: z.string().optional(),
  engine: z.string(),
  gpu: z.string(),
  probedAt: z.string(),
  /** The path it was last probed at: for people reading the file, not for lookups. */
  path: z.string(),
});
const cacheFileSchema = z.object({ version: z.literal(1), entries: z.record(z.string(), cachedVerdictSchema) });

export type CachedVerdict = z.infer<typeof cachedVerdictSchema>;


async function readEntries(directory: string): Promise<Record<string, CachedVerdict>> {
  try {
    const parsed = cacheFileSchema.safeParse(JSON.parse(await readFile(join(directory, cacheFileName), "utf8")));
    return parsed.success ? parsed.data.entries : {};
  } catch {
    // Missing or unreadable: nothing cached yet.
    return {};
  }
}

/** The verdict cached for this fingerprint, engine and GPU setting, if any. */
export async function readCachedVerdict(directory: string, fingerprint: string, engine: string, gpu: string): Promise<CachedVerdict | undefined> {
  const entry = (await readEntries(directory))[fingerprint];
  return entry !== undefined && entry.engine === engine && entry.gpu === gpu ? entry : undefined;
}

export async function storeVerdict(directory: string, fingerprint: string, verdict: CachedVerdict): Promise<void> {
  await mkdir(directory, { recursive: true });
  const entries = { ...(await readEntries(directory)), [fingerprint]: verdict };
  const kept = Object.entries(entries)
    .sort(([, a], [, b]) => b.probedAt.localeCompare(a.probedAt))
    .slice(0, maxEntries);
  const path = join(directory, cacheFileName);
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify({ version: 1, entries: Object.fromEntries(kept) }, null, 1)}\n`);
  await rename(temporary, path);
}
