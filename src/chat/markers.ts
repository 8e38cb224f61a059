/**
 * Finding a chat format's markers (`<tool_call>`, `</think>` ...) in generated text that
 * arrives in pieces. Whitespace is not significant on either side: models put line breaks
 * and spaces around markers freely, and wrappers read from templates do too. A marker
 * that may be starting at the end of the text so far is reported, so the caller holds
 * back only that part and lets the text before it go.
 */

/** Where a marker is in a text: found whole, or possibly starting at the end (more text decides). */
export type MarkerSearch = { kind: "found"; start: number; end: number; marker: string } | { kind: "possible"; start: number } | { kind: "absent" };

/** Compares `marker` with `text` from `start`: the end of the match, `"partial"` when the text ends inside the marker, or `"different"`. */
export function matchMarker(text: string, start: number, marker: string): number | "partial" | "different" {
  let textIndex = start;
  let markerIndex = 0;
  for (;;) {
    while (markerIndex < marker.length && isWhitespace(marker[markerIndex]!)) markerIndex++;
    if (markerIndex === marker.length) return textIndex;
    while (textIndex < text.length && isWhitespace(text[textIndex]!)) textIndex++;
    if (textIndex === text.length) return "partial";
    if (text[textIndex] !== marker[markerIndex]) return "different";
    textIndex++;
    markerIndex++;
  }
}

/** The first place in `text` where one of `markers` is, or may be starting. */
export function findMarker(text: string, markers: readonly string[]): MarkerSearch {
  for (let start = 0; start < text.length; start++) {
    if (isWhitespace(text[start]!)) continue;
    let possible = false;
    for (const marker of markers) {
      const match = matchMarker(text, start, marker);
      if (typeof match === "number") return { kind: "found", start, end: match, marker };
      if (match === "partial") possible = true;
    }
    if (possible) return { kind: "possible", start };
  }
  return { kind: "absent" };
}

export function isWhitespace(character: string): boolean {
  return character === " " || character === "\n" || character === "\r" || character === "\t";
}

/** `text` without its leading whitespace. */
export function withoutLeadingWhitespace(text: string): string {
  let start = 0;
  while (start < text.length && isWhitespace(text[start]!)) start++;
  return text.slice(start);
}

/** The length of `text` without its trailing whitespace. */
export function trimmedEnd(text: string): number {
  let end = text.length;
  while (end > 0 && isWhitespace(text[end - 1]!)) end--;
  return end;
}
