/**
 * Prompts as token ids, so that both sides of a comparison evaluate exactly the same
 * tokens. Each call gives a different first token: a fresh prompt shares no prefix with
 * the last one, so no side can reuse a cached prefix (no warm cache counted as cold).
 */
let state = 0x1234_5678;

function nextRandom(limit: number): number {
  state ^= state << 13;
  state ^= state >>> 17;
  state ^= state << 5;
  return (state >>> 0) % limit;
}

let previousFirst = -1;

/** `length` random ordinary tokens (ids from `firstId` up to `vocabularySize - 1`). */
export function freshPrompt(length: number, vocabularySize: number, firstId = 258): number[] {
  const tokens = Array.from({ length }, () => firstId + nextRandom(vocabularySize - firstId));
  while (tokens[0] === previousFirst) tokens[0] = firstId + nextRandom(vocabularySize - firstId);
  previousFirst = tokens[0]!;
  return tokens;
}
