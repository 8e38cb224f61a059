/**
 * The Markdown a chat model writes, parsed into a tree of plain data: paragraphs,
 * headings, fenced code, lists, quotes, rules; inline code, strong, emphasis, links and
 * line breaks. Raw HTML is not a construct here: `<script>` is text like any other, and
 * markdownDom.ts turns the tree into DOM nodes with textContent only. A link survives
 * only with an absolute http(s) URL; any other is left as the text the model wrote.
 * The parser never fails: unfinished constructs (a code fence still streaming in) are
 * taken as far as they go. Nesting is capped so that no input can exhaust the stack.
 */

export type Inline =
  | { type: "text"; text: string }
  | { type: "code"; text: string }
  | { type: "strong"; children: Inline[] }
  | { type: "emphasis"; children: Inline[] }
  | { type: "link"; href: string; children: Inline[] }
  | { type: "break" };

export type Block =
  | { type: "paragraph"; content: Inline[] }
  | { type: "heading"; level: number; content: Inline[] }
  | { type: "code"; language: string; text: string }
  | { type: "list"; ordered: boolean; start: number; items: Block[][] }
  | { type: "quote"; children: Block[] }
  | { type: "rule" };

/** Deeper quotes, lists and emphasis than this are kept as text. */
const maxDepth = 8;

const fencePattern = /^ {0,3}(`{3,}|~{3,})\s*([^\s`]*)/;
const headingPattern = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const rulePattern = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
const quotePattern = /^ {0,3}> ?/;
const itemPattern = /^( {0,3})([-*+]|\d{1,9}[.)])([ \t]+|$)/;

export function parseMarkdown(text: string, depth = 0): Block[] {
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  const blocks: Block[] = [];
  let index = 0;
  while (index < lines.length) {
    const line = lines[index]!;
    if (line.trim() === "") {
      index++;
      continue;
    }
    const fence = fencePattern.exec(line);
    if (fence !== null) {
      const [, marker = "", language = ""] = fence;
      const closing = new RegExp(`^ {0,3}${marker[0] === "`" ? "`" : "~"}{${marker.length},}\\s*$`);
      const body: string[] = [];
      index++;
      while (index < lines.length && !closing.test(lines[index]!)) body.push(lines[index++]!);
      index++;
      blocks.push({ type: "code", language, text: body.join("\n") });
      continue;
    }
    const heading = headingPattern.exec(line);
    if (heading !== null) {
      blocks.push({ type: "heading", level: heading[1]!.length, content: parseInline(heading[2] ?? "", depth) });
      index++;
      continue;
    }
    if (rulePattern.test(line)) {
      blocks.push({ type: "rule" });
      index++;
      continue;
    }
    if (depth < maxDepth && quotePattern.test(line)) {
      const quoted: string[] = [];
      while (index < lines.length && quotePattern.test(lines[index]!)) quoted.push(lines[index++]!.replace(quotePattern, ""));
      blocks.push({ type: "quote", children: parseMarkdown(quoted.join("\n"), depth + 1) });
      continue;
    }
    if (depth < maxDepth && itemPattern.test(line)) {
      index = parseList(lines, index, depth, blocks);
      continue;
    }
    const paragraph: string[] = [];
    while (index < lines.length && lines[index]!.trim() !== "" && (paragraph.length === 0 || !startsBlock(lines[index]!, depth))) paragraph.push(lines[index++]!.trim());
    blocks.push({ type: "paragraph", content: parseInline(paragraph.join("\n"), depth) });
  }
  return blocks;
}

function startsBlock(line: string, depth: number): boolean {
  return fencePattern.test(line) || headingPattern.test(line) || rulePattern.test(line) || (depth < maxDepth && (quotePattern.test(line) || itemPattern.test(line)));
}

/** Models often nest with two spaces even under `1.`: that much indentation keeps a line in its item. */
const nestedIndent = 2;

/** Items of one kind (bullets, or numbers), each with the lines indented under it; returns the index after the list. */
function parseList(lines: readonly string[], start: number, depth: number, blocks: Block[]): number {
  const first = itemPattern.exec(lines[start]!)!;
  const ordered = /\d/.test(first[2]!);
  const items: Block[][] = [];
  let index = start;
  while (index < lines.length) {
    const item = itemPattern.exec(lines[index]!);
    if (item === null || /\d/.test(item[2]!) !== ordered) break;
    const contentIndent = item[0].length;
    const itemLines = [lines[index]!.slice(contentIndent)];
    index++;
    while (index < lines.length) {
      const next = lines[index]!;
      const indented = next.length - next.trimStart().length >= Math.min(contentIndent, nestedIndent);
      if (next.trim() === "") {
        // A blank line continues the item only when indented content follows it.
        const following = lines[index + 1];
        if (following === undefined || following.trim() === "" || following.length - following.trimStart().length < Math.min(contentIndent, nestedIndent)) break;
        itemLines.push("");
      } else if (indented) {
        itemLines.push(next.slice(Math.min(contentIndent, next.length - next.trimStart().length)));
      } else if (!startsBlock(next, depth)) {
        itemLines.push(next.trim()); // a lazy continuation of the item's paragraph
      } else {
        break;
      }
      index++;
    }
    items.push(parseMarkdown(itemLines.join("\n"), depth + 1));
    // Blank lines between items keep the list going.
    let after = index;
    while (after < lines.length && lines[after]!.trim() === "") after++;
    const nextItem = after < lines.length ? itemPattern.exec(lines[after]!) : null;
    if (nextItem === null || /\d/.test(nextItem[2]!) !== ordered) break;
    index = after;
  }
  blocks.push({ type: "list", ordered, start: ordered ? Number.parseInt(first[2]!, 10) : 1, items });
  return index;
}

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
