/**
 * The Markdown tree (markdown.ts) as DOM nodes. Model text only ever reaches the page as
 * Text nodes and textContent, never as HTML, so nothing a model writes can become an
 * element, an attribute or a script. The only attribute taken from model output is a
 * link's href, and the parser lets through absolute http(s) URLs alone.
 */
import { parseMarkdown, type Block } from "./markdown.js";
import { safeLinkTarget, type Inline } from "./markdownInline.js";

/** Code block languages become a data attribute for styling; anything unusual is dropped. */
const languageName = /^[\w+#.-]{1,32}$/;

export function renderMarkdown(text: string, document: Document = globalThis.document): DocumentFragment {
  const fragment = document.createDocumentFragment();
  for (const block of parseMarkdown(text)) fragment.append(renderBlock(block, document));
  return fragment;
}

function renderBlock(block: Block, document: Document): Node {
  switch (block.type) {
    case "paragraph":
      return withInlines(document.createElement("p"), block.content, document);
    case "heading":
      return withInlines(document.createElement(`h${Math.min(Math.max(block.level, 1), 6)}`), block.content, document);
    case "code": {
      const pre = document.createElement("pre");
      const code = document.createElement("code");
      code.textContent = block.text;
      if (languageName.test(block.language)) code.dataset.language = block.language;
      pre.append(code);
      return pre;
    }
    case "list": {
      const list = document.createElement(block.ordered ? "ol" : "ul");
      if (block.ordered && block.start !== 1) list.setAttribute("start", String(block.start));
      for (const item of block.items) {
        const entry = document.createElement("li");
        // A one-paragraph item is written without its <p>, as tight lists are.
        const [only] = item;
        if (item.length === 1 && only?.type === "paragraph") withInlines(entry, only.content, document);
        else for (const child of item) entry.append(renderBlock(child, document));
        list.append(entry);
      }
      return list;
    }
    case "quote": {
      const quote = document.createElement("blockquote");
      for (const child of block.children) quote.append(renderBlock(child, document));
      return quote;
    }
    case "rule":
      return document.createElement("hr");
  }
}

function withInlines<T extends Element>(parent: T, inlines: readonly Inline[], document: Document): T {
  for (const inline of inlines) parent.append(renderInline(inline, document));
  return parent;
}

function renderInline(inline: Inline, document: Document): Node {
  switch (inline.type) {
    case "text":
      return document.createTextNode(inline.text);
    case "break":
      return document.createElement("br");
    case "code": {
      const code = document.createElement("code");
      code.textContent = inline.text;
      return code;
    }
    case "strong":
      return withInlines(document.createElement("strong"), inline.children, document);
    case "emphasis":
      return withInlines(document.createElement("em"), inline.children, document);
    case "link": {
      // Checked again here, so the guarantee does not rest on the parser alone.
      const href = safeLinkTarget(inline.href);
      if (href === undefined) return withInlines(document.createElement("span"), inline.children, document);
      const anchor = document.createElement("a");
      anchor.setAttribute("href", href);
      anchor.setAttribute("rel", "noopener noreferrer");
      anchor.setAttribute("target", "_blank");
      return withInlines(anchor, inline.children, document);
    }
  }
}
