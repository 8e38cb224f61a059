/**
 * The Markdown a chat model writes, parsed into a tree of plain data: paragraphs,
 * headings, fenced code, lists, quotes, rules; inline code, strong, emphasis, links and
 * line breaks. Raw HTML is not a construct here: `<script>` is text like any other, and
 * markdownDom.ts turns the tree into DOM nodes with textContent only. A link survives
 * only with an absolute http(s) URL; any other is left as the text the model wrote.
 * The parser never fails: unfinished constructs (a code fence still streaming in) are
 * taken as far as they go. Nesting is capped so that no input can exhaust the stack.
 * This file reads the blocks; markdownInline.ts reads the text inside them.
 */
import { maxDepth, parseInline, type Inline } from "./markdownInline.js";

export type Block =
  | { type: "paragraph"; content: Inline[] }
  | { type: "heading"; level: number; content: Inline[] }
  | { type: "code"; language: string; text: string }
  | { type: "list"; ordered: boolean; start: number; items: Block[][] }
  | { type: "quote"; children: Block[] }
  | { type: "rule" };

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
