/**
 * Markdown inside a block (markdown.ts): inline code, strong, emphasis, links (absolute
 * http(s) URLs only; any other stays the text the model wrote), bare http(s) URLs, and
 * line breaks. Everything else, HTML included, is text.
 */

export type Inline =
  | { type: "text"; text: string }
  | { type: "code"; text: string }
  | { type: "strong"; children: Inline[] }
  | { type: "emphasis"; children: Inline[] }
  | { type: "link"; href: string; children: Inline[] }
  | { type: "break" };

/** Deeper quotes, lists and emphasis than this are kept as text. */
export const maxDepth = 8;

/** Absolute http(s) URLs only; anything else (javascript:, data:, relative paths) is refused. */
export function safeLinkTarget(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    return undefined;
  }
  return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : undefined;
}

const escapable = /[!-/:-@[-`{-~]/;
/** Sticky (`y`): matched at one position without copying the rest of the text. */
const bareUrl = /https?:\/\/[^\s<>()"'`]+/iy;
const backtickRun = /`+/y;

/** `insideLink`: a link's label holds no further links (an anchor inside an anchor is invalid). */
export function parseInline(text: string, depth = 0, insideLink = false): Inline[] {
  const out: Inline[] = [];
  let plain = "";
  const flush = () => {
    if (plain !== "") out.push({ type: "text", text: plain });
    plain = "";
  };
  let index = 0;
  while (index < text.length) {
    const char = text[index]!;
    if (char === "\\" && escapable.test(text[index + 1] ?? "")) {
      plain += text[index + 1];
      index += 2;
    } else if (char === "\n") {
      flush();
      out.push({ type: "break" });
      index++;
    } else if (char === "`") {
      backtickRun.lastIndex = index;
      const run = backtickRun.exec(text)![0];
      const end = findCodeSpanEnd(text, index + run.length, run.length);
      if (end === -1) {
        plain += run;
        index += run.length;
        continue;
      }
      const code = text.slice(index + run.length, end).replace(/\n/g, " ");
      flush();
      out.push({ type: "code", text: /^ .*\S.* $/.test(code) ? code.slice(1, -1) : code });
      index = end + run.length;
    } else if ((char === "*" || char === "_") && depth < maxDepth) {
      const emphasis = parseEmphasis(text, index, depth, insideLink);
      if (emphasis === undefined) {
        plain += char;
        index++;
        continue;
      }
      flush();
      out.push(emphasis.inline);
      index = emphasis.end;
    } else if (char === "[" && !insideLink) {
      const link = parseLink(text, index, depth);
      if (link === undefined) {
        plain += char;
        index++;
        continue;
      }
      flush();
      out.push(link.inline);
      index = link.end;
    } else if ((char === "h" || char === "H") && !insideLink && !/\w/.test(text[index - 1] ?? "") && matchesAt(bareUrl, text, index)) {
      const url = bareUrl.exec(text)![0].replace(/[.,;:!?*_]+$/, "");
      const href = safeLinkTarget(url);
      flush();
      out.push(href === undefined ? { type: "text", text: url } : { type: "link", href, children: [{ type: "text", text: url }] });
      index += url.length;
    } else {
      plain += char;
      index++;
    }
  }
  flush();
  return out;
}

function matchesAt(pattern: RegExp, text: string, index: number): boolean {
  pattern.lastIndex = index;
  const matched = pattern.test(text);
  pattern.lastIndex = index;
  return matched;
}

/** The start of the closing run of exactly `length` backticks, or -1. */
function findCodeSpanEnd(text: string, from: number, length: number): number {
  let index = text.indexOf("`", from);
  while (index !== -1) {
    let end = index;
    while (text[end] === "`") end++;
    if (end - index === length) return index;
    index = text.indexOf("`", end);
  }
  return -1;
}

function parseEmphasis(text: string, start: number, depth: number, insideLink: boolean): { inline: Inline; end: number } | undefined {
  const char = text[start]!;
  const strong = text[start + 1] === char;
  const delimiter = strong ? char + char : char;
  const contentStart = start + delimiter.length;
  // An opener is followed by text, and `_` does not open inside a word (snake_case stays).
  if (/\s/.test(text[contentStart] ?? " ") || (char === "_" && /\w/.test(text[start - 1] ?? ""))) return undefined;
  let close = text.indexOf(delimiter, contentStart + 1);
  while (close !== -1) {
    const before = text[close - 1]!;
    const after = text[close + delimiter.length] ?? "";
    const partOfLonger = !strong && after === char;
    if (!/\s/.test(before) && before !== "\\" && !partOfLonger && !(char === "_" && /\w/.test(after))) break;
    close = text.indexOf(delimiter, close + (partOfLonger ? 2 : 1));
  }
  if (close === -1) return undefined;
  // `***both***`: the strong run closes on the last two stars, leaving the emphasis inside.
  if (strong) while (text[close + 2] === char) close++;
  const children = parseInline(text.slice(contentStart, close), depth + 1, insideLink);
  return { inline: { type: strong ? "strong" : "emphasis", children }, end: close + delimiter.length };
}

function parseLink(text: string, start: number, depth: number): { inline: Inline; end: number } | undefined {
  const labelEnd = text.indexOf("]", start + 1);
  if (labelEnd === -1 || text[labelEnd + 1] !== "(") return undefined;
  const targetEnd = text.indexOf(")", labelEnd + 2);
  if (targetEnd === -1) return undefined;
  const target = text.slice(labelEnd + 2, targetEnd).trim().replace(/^<(.*)>$/, "$1");
  const href = safeLinkTarget(target);
  // A refused target stays visible as written, so the reader sees what the model tried.
  if (href === undefined || /\s/.test(target)) return { inline: { type: "text", text: text.slice(start, targetEnd + 1) }, end: targetEnd + 1 };
  return { inline: { type: "link", href, children: parseInline(text.slice(start + 1, labelEnd), depth + 1, true) }, end: targetEnd + 1 };
}
