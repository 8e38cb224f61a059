/** The chat page's Markdown parser (web/markdown.ts): the tree it builds, and what it refuses to build. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseMarkdown, type Block } from "../../web/markdown.ts";
import { parseInline, safeLinkTarget, type Inline } from "../../web/markdownInline.ts";

const text = (value: string): Inline => ({ type: "text", text: value });
const paragraph = (...content: Inline[]): Block => ({ type: "paragraph", content });

test("paragraphs split on blank lines; single line breaks stay breaks", () => {
  assert.deepEqual(parseMarkdown("one\ntwo\r\n\r\nthree"), [paragraph(text("one"), { type: "break" }, text("two")), paragraph(text("three"))]);
});

test("headings, rules and quotes", () => {
  assert.deepEqual(parseMarkdown("## Title ##\n---\n> quoted\n> more"), [
    { type: "heading", level: 2, content: [text("Title")] },
    { type: "rule" },
    { type: "quote", children: [paragraph(text("quoted"), { type: "break" }, text("more"))] },
  ]);
  assert.deepEqual(parseMarkdown("#hashtag"), [paragraph(text("#hashtag"))]);
});

test("fenced code keeps its text verbatim, HTML included; an unclosed fence runs to the end (still streaming)", () => {
  assert.deepEqual(parseMarkdown("```html\n<script>alert(1)</script>\n  **not bold**\n```\nafter"), [
    { type: "code", language: "html", text: "<script>alert(1)</script>\n  **not bold**" },
    paragraph(text("after")),
  ]);
  assert.deepEqual(parseMarkdown("~~~\nopen"), [{ type: "code", language: "", text: "open" }]);
});

test("lists: bullets, numbers with their start, nested items, a loose list across blank lines", () => {
  assert.deepEqual(parseMarkdown("- a\n- b\n  - b1\n\n- c"), [
    {
      type: "list",
      ordered: false,
      start: 1,
      items: [[paragraph(text("a"))], [paragraph(text("b")), { type: "list", ordered: false, start: 1, items: [[paragraph(text("b1"))]] }], [paragraph(text("c"))]],
    },
  ]);
  assert.deepEqual(parseMarkdown("3. three\n4. four\n\nafter"), [
    { type: "list", ordered: true, start: 3, items: [[paragraph(text("three"))], [paragraph(text("four"))]] },
    paragraph(text("after")),
  ]);
});

test("inline code, strong, emphasis, and snake_case left alone", () => {
  assert.deepEqual(parseInline("use `a <b> c` and **bold *both*** or _em_ in snake_case_name"), [
    text("use "),
    { type: "code", text: "a <b> c" },
    text(" and "),
    { type: "strong", children: [text("bold "), { type: "emphasis", children: [text("both")] }] },
    text(" or "),
    { type: "emphasis", children: [text("em")] },
    text(" in snake_case_name"),
  ]);
  assert.deepEqual(parseInline("2 * 3 * 4 and \\*escaped\\*"), [text("2 * 3 * 4 and *escaped*")]);
  assert.deepEqual(parseInline("``code with ` inside``"), [{ type: "code", text: "code with ` inside" }]);
});

test("links: http(s) only; any other target stays the text the model wrote", () => {
  assert.deepEqual(parseInline("[docs](https://example.com/a?b=1) and https://example.org/x."), [
    { type: "link", href: "https://example.com/a?b=1", children: [text("docs")] },
    text(" and "),
    { type: "link", href: "https://example.org/x", children: [text("https://example.org/x")] },
    text("."),
  ]);
  for (const target of ["javascript:alert(1)", "JAVASCRIPT:alert(1)", " javascript:alert(1)", "data:text/html,<script>alert(1)</script>", "vbscript:x", "/relative", "//evil.example/x", "file:///etc/passwd"]) {
    const written = `[click](${target})`;
    const inlines = parseInline(written);
    assert.ok(!inlines.some((inline) => inline.type === "link"), target);
    assert.equal(inlines.map((inline) => (inline.type === "text" ? inline.text : "")).join(""), written, target);
  }
  assert.equal(safeLinkTarget("javascript:alert(1)"), undefined);
  assert.equal(safeLinkTarget("https://example.com"), "https://example.com/");
  // No link inside a link's label.
  assert.deepEqual(parseInline("[see https://a.example](https://b.example)"), [{ type: "link", href: "https://b.example/", children: [text("see https://a.example")] }]);
});

test("HTML is text: tags and attributes come out as the characters they are", () => {
  const written = '<script>alert(1)</script><img src=x onerror="alert(2)">';
  assert.deepEqual(parseMarkdown(written), [paragraph(text(written))]);
});

test("deep nesting is capped instead of exhausting the stack", () => {
  const quotes = parseMarkdown(`${">".repeat(5000)} deep`);
  let depth = 0;
  for (let block: Block | undefined = quotes[0]; block?.type === "quote"; block = block.children[0]) depth++;
  assert.equal(depth, 8);
  const emphasis = parseInline(`${"*".repeat(3000)}x${"*".repeat(3000)}`);
  assert.ok(emphasis.length > 0);
  const items = parseMarkdown(Array.from({ length: 200 }, (_, index) => `${" ".repeat(index * 2)}- item`).join("\n"));
  assert.equal(items[0]?.type, "list");
});
