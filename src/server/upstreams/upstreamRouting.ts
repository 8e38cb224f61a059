/**
 * Which upstream takes a request. Least outstanding requests by default: the upstream
 * with the fewest requests in flight, relative to what it accepts. A prompt with a long
 * enough prefix goes instead to the upstream that rendezvous hashing (highest random
 * weight) gives its first `prefixLength` characters (or token ids): requests that share
 * that prefix all land on one upstream, whose prefix cache then holds it, and adding or
 * removing an upstream moves only the prefixes that hashed to it. The affinity gives way
 * when that upstream has no room, or is much busier than the least busy one, so a popular
 * prefix cannot overload one engine while others idle.
 */
import { createHash } from "node:crypto";

/** What routing needs to know of an upstream. */
export interface RoutingCandidate {
  readonly baseUrl: string;
  readonly inFlight: number;
  readonly maxInFlight: number;
}

/** In-flight requests beyond the least busy candidate's at which affinity gives way. */
export const affinityImbalance = 4;

/** The affinity key of a request body: the first `prefixLength` characters of its text, or token ids; undefined when the prompt is shorter. */
export function affinityKey(body: Readonly<Record<string, unknown>>, prefixLength: number): string | undefined {
  if (prefixLength === 0) return undefined;
  const { prompt, messages } = body;
  if (Array.isArray(prompt)) return prompt.length >= prefixLength ? `tokens:${prompt.slice(0, prefixLength).join(",")}` : undefined;
  // A chat's prefix is its messages in order, each with its role: what the engine's template turns into the prompt's start.
  const text = typeof prompt === "string" ? prompt : Array.isArray(messages) ? messages.map((message: { role?: unknown; content?: unknown }) => `${String(message.role)}\n${typeof message.content === "string" ? message.content : ""}\n`).join("") : "";
  return text.length >= prefixLength ? `text:${text.slice(0, prefixLength)}` : undefined;
}

/**
 * The candidate to send a request to, among those with room (`inFlight < maxInFlight`),
 * or undefined when none has room. `key` is the request's affinity key. `turn` (a count
 * of requests routed) takes turns among equally busy candidates, so a trickle of requests
 * that never overlap still uses every upstream.
 */
export function chooseUpstream<Candidate extends RoutingCandidate>(candidates: readonly Candidate[], key: string | undefined, turn = 0): Candidate | undefined {
  const open = candidates.filter((candidate) => candidate.inFlight < candidate.maxInFlight);
  if (open.length === 0) return undefined;
  const load = (candidate: Candidate) => candidate.inFlight / candidate.maxInFlight;
  const lowest = Math.min(...open.map(load));
  const idlest = open.filter((candidate) => load(candidate) === lowest);
  const leastBusy = idlest[turn % idlest.length]!;
  if (key === undefined) return leastBusy;
  // Hashed among every candidate, not only those with room: a prefix keeps its home while that home is briefly full.
  const home = candidates.reduce((best, candidate) => (rendezvousWeight(candidate.baseUrl, key) > rendezvousWeight(best.baseUrl, key) ? candidate : best));
  if (!open.includes(home) || home.inFlight - leastBusy.inFlight >= affinityImbalance) return leastBusy;
  return home;
}

function rendezvousWeight(upstream: string, key: string): bigint {
  return createHash("sha256").update(upstream).update("\0").update(key).digest().readBigUInt64BE(0);
}
