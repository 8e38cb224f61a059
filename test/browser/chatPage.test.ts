/**
 * The chat page in a real browser: Debian's Chromium driven by playwright-core against
 * servers on loopback, the demo model answering through the real OpenAI-compatible route.
 * It streams, Stop frees the server's sequence, conversations survive a reload, model
 * output that is HTML stays text, and the API key flow works. Screenshots go to
 * test-artifacts/ (git-ignored) for a person to look at.
 *
 * Needs /usr/bin/chromium (`apt-get install chromium`; .ci/run installs it). Without it
 * the tests fail, unless MULLAMA_SKIP_BROWSER=1 asks to skip them.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import { after, afterEach, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { Model } from "../../src/index.js";
import { makeScriptedModel } from "../fixtures/scriptedModel.js";
import { buildWebPage } from "../helpers/webPage.js";
import { metricValue, postJson, startTestServer, waitFor, type TestServer } from "../server/helpers.js";

const chromiumPath = "/usr/bin/chromium";
const skipBrowser = process.env.MULLAMA_SKIP_BROWSER === "1";
const artifacts = fileURLToPath(new URL("../../test-artifacts/", import.meta.url));
const demoModel = "kjv-tiny-q8_0";
/** The demo model's longest greedy answer: it runs to the end of the context. */
const longQuestion = "And it came to pass";

let browser: Browser;
/** Script errors of the pages under test: each test ends with none. */
const pageErrors: string[] = [];

before(async () => {
  if (skipBrowser) return;
  if (!existsSync(chromiumPath)) {
    throw new Error(`The browser tests need Chromium at ${chromiumPath} (apt-get install chromium); set MULLAMA_SKIP_BROWSER=1 to skip them`);
  }
  buildWebPage();
  mkdirSync(artifacts, { recursive: true });
  browser = await chromium.launch({ executablePath: chromiumPath, args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"] });
});
after(() => browser?.close());
afterEach(() => {
  assert.deepEqual(pageErrors.splice(0), [], "the page threw");
});

/** A page whose script errors fail the test that caused them. */
async function openPage(context: BrowserContext, url: string): Promise<Page> {
  const page = await context.newPage();
  page.on("pageerror", (error) => pageErrors.push(error.message));
  await page.goto(url);
  return page;
}

async function waitForModels(page: Page): Promise<void> {
  await page.waitForSelector("#model option", { state: "attached" });
}

async function setField(page: Page, selector: string, value: string): Promise<void> {
  if (await page.isHidden("#settings")) await page.click("#toggle-settings");
  await page.fill(selector, value);
  // Fields save on change, which comes when the field loses the focus.
  await page.press(selector, "Tab");
}

/** Waits until `count` answers are on screen and none is still streaming. */
async function waitForAnswers(page: Page, count: number, timeout = 30_000): Promise<void> {
  await page.waitForFunction((expected) => document.querySelectorAll(".message.assistant").length === expected && document.querySelector(".message.streaming") === null, count, { timeout });
}

const messageTexts = (page: Page) => page.locator("#messages .message-body").evaluateAll((bodies) => bodies.map((body) => (body as HTMLElement).innerText));
const normalize = (text: string) => text.replace(/\s+/g, " ").trim();

describe("the chat page on the demo model", { skip: skipBrowser && "MULLAMA_SKIP_BROWSER=1" }, () => {
  let harness: TestServer;
  let context: BrowserContext;
  let page: Page;
  let firstConversation: string[];

  before(async () => {
    // A long context, so that the long answer runs for seconds and Stop has something to stop.
    harness = await startTestServer({ parallel: 2, contextSize: 2048 });
    context = await browser.newContext({ viewport: { width: 1100, height: 720 } });
    page = await openPage(context, harness.url);
    await waitForModels(page);
  });
  after(async () => {
    await context?.close();
    await harness?.server.close();
  });

  test("Shift+Enter starts a new line; Enter sends; the answer streams in, is the server's, with its speed figures", async (t) => {
    assert.equal(await page.inputValue("#model"), demoModel);
    await setField(page, "#temperature", "0");
    await setField(page, "#max-tokens", "200");
    await page.click("#toggle-settings");

    await page.click("#prompt");
    await page.keyboard.type("first line");
    await page.keyboard.press("Shift+Enter");
    await page.keyboard.type("second line");
    assert.equal(await page.inputValue("#prompt"), "first line\nsecond line");
    assert.equal(await page.locator(".message").count(), 0, "Shift+Enter sends nothing");
    await page.fill("#prompt", longQuestion);

    // Every text the answer shows while it streams, as the DOM changes.
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { answerTexts: string[] }).answerTexts = seen;
      new MutationObserver(() => {
        const bodies = document.querySelectorAll<HTMLElement>(".message.assistant .message-body");
        const text = bodies[bodies.length - 1]?.innerText ?? "";
        if (text !== "" && text !== seen.at(-1)) seen.push(text);
      }).observe(document.getElementById("messages")!, { childList: true, subtree: true, characterData: true });
    });
    const sent = page.waitForRequest((request) => request.url().endsWith("/v1/chat/completions"));
    await page.keyboard.press("Enter");
    const request = (await sent).postDataJSON() as Record<string, unknown>;
    const messages = [{ role: "user", content: longQuestion }];
    assert.deepEqual(request, { model: demoModel, messages, temperature: 0, max_tokens: 200, stream: true, stream_options: { include_usage: true } });
    assert.equal(await page.inputValue("#prompt"), "", "the box is cleared once sent");
    await waitForAnswers(page, 1);

    const states = await page.evaluate(() => (window as unknown as { answerTexts: string[] }).answerTexts);
    assert.ok(states.length >= 5, `the answer appeared in ${states.length} steps`);
    t.diagnostic(`the answer appeared in ${states.length} steps`);
    for (let index = 1; index < states.length; index++) assert.ok(states[index]!.startsWith(states[index - 1]!), "each step extends the one before");

    // Greedy decoding: the server's own answer to the same request, collected in one piece.
    const expected = (await (await postJson(`${harness.url}/v1/chat/completions`, { model: demoModel, messages, temperature: 0, max_tokens: 200 })).json()) as {
      choices: { message: { content: string } }[];
    };
    const [question, answer] = await messageTexts(page);
    assert.equal(question, longQuestion);
    assert.equal(normalize(answer!), normalize(expected.choices[0]!.message.content));
    assert.match(await page.locator(".message.assistant .message-meta").innerText(), /^200 tokens · \d+\.\d tokens\/s · first token \d+ ms · token limit reached$/);
    assert.equal(await page.locator("#conversation-list .conversation").count(), 1);
    firstConversation = await messageTexts(page);

    await page.screenshot({ path: `${artifacts}chat-page.png`, animations: "disabled" });
    await page.setViewportSize({ width: 390, height: 760 });
    await page.screenshot({ path: `${artifacts}chat-page-narrow.png`, animations: "disabled" });
    await page.setViewportSize({ width: 1100, height: 720 });
  });

  test("Stop ends the answer, and the server frees the sequence within moments", async (t) => {
    await page.click("#new-conversation");
    assert.equal(await page.locator(".message").count(), 0);
    await setField(page, "#max-tokens", "");
    await page.click("#toggle-settings");
    const abortsBefore = await metricValue(harness.url, 'mullama_generations_total{stop_reason="abort"}');
    await page.fill("#prompt", longQuestion);
    await page.keyboard.press("Enter");
    await waitFor(() => harness.server.context!.busySequences === 1, 10_000, "the generation to start");
    await page.waitForFunction(() => (document.querySelector<HTMLElement>(".message.streaming .message-body")?.innerText ?? "") !== "");
    assert.ok(await page.isVisible("#stop"));
    assert.ok(await page.isHidden("#send"));

    const clicked = performance.now();
    await page.click("#stop");
    // Left alone, this answer runs to the end of its 2048-token context: seconds on this machine.
    await waitFor(() => harness.server.context!.busySequences === 0, 2_000, "the sequence to be freed");
    const freedAfterMs = performance.now() - clicked;
    assert.equal(await metricValue(harness.url, 'mullama_generations_total{stop_reason="abort"}'), abortsBefore + 1);
    await waitForAnswers(page, 1);
    assert.match(await page.locator(".message.assistant .message-meta").innerText(), /^stopped · \d+ tokens?/);
    assert.notEqual(normalize((await messageTexts(page))[1]!), "", "the text so far is kept");
    assert.ok(await page.isVisible("#send"));
    assert.ok(await page.isHidden("#stop"));
    assert.equal(await page.locator("#conversation-list .conversation").count(), 2);
    t.diagnostic(`sequence freed ${freedAfterMs.toFixed(0)} ms after the click began`);
  });

  test("conversations survive a reload; the list switches between them and deletes them", async () => {
    const stoppedConversation = await messageTexts(page);
    await page.reload();
    await waitForModels(page);
    assert.deepEqual(await messageTexts(page), stoppedConversation, "the conversation shown last is shown again");
    assert.match(await page.locator(".message.assistant .message-meta").innerText(), /^stopped/);
    const items = page.locator("#conversation-list .conversation");
    assert.equal(await items.count(), 2);
    await items.nth(1).locator(".conversation-open").click();
    assert.deepEqual(await messageTexts(page), firstConversation);
    assert.equal(await page.inputValue("#temperature"), "0", "settings are kept too");

    await items.nth(0).locator(".conversation-delete").click();
    assert.equal(await items.count(), 1);
    await page.reload();
    await waitForModels(page);
    assert.equal(await items.count(), 1);
    assert.deepEqual(await messageTexts(page), firstConversation);
  });

  test("deleting a conversation while its answer streams stops the generation and keeps it deleted", async () => {
    await page.click("#new-conversation");
    await page.fill("#prompt", longQuestion);
    await page.keyboard.press("Enter");
    await waitFor(() => harness.server.context!.busySequences === 1, 10_000, "the generation to start");
    const items = page.locator("#conversation-list .conversation");
    assert.equal(await items.count(), 2);
    await items.nth(0).locator(".conversation-delete").click();
    await waitFor(() => harness.server.context!.busySequences === 0, 2_000, "the sequence to be freed");
    await page.waitForSelector("#send:not([hidden])");
    assert.equal(await items.count(), 1);
    assert.deepEqual(await messageTexts(page), firstConversation);
    await page.reload();
    await waitForModels(page);
    assert.equal(await items.count(), 1);
  });

  test("the Markdown renderer, in the page: HTML a model writes is text, links are http(s) only", async () => {
    const crafted = [
      "<script>window.pwned = 'script'</script>",
      '<img src=x onerror="window.pwned = \'img\'">',
      '<svg onload="window.pwned = \'svg\'"></svg> <iframe srcdoc="<script>parent.pwned = 1</script>"></iframe>',
      "[click](javascript:window.pwned='link') [data](data:text/html,<script>alert(1)</script>) [fine](https://example.com/docs)",
      "**<b onmouseover=\"window.pwned='bold'\">bold</b>** `<img src=x onerror=alert(1)>`",
      "```html\n<script>window.pwned = 'code'</script>\n```",
      "- <a href=\"javascript:alert(1)\">item</a>\n> <style>body{display:none}</style>",
    ].join("\n\n");
    const rendered = await page.evaluate(async (markdown) => {
      const { renderMarkdown } = (await import(new URL("ui/markdownDom.js", location.href).href)) as { renderMarkdown(text: string): DocumentFragment };
      const container = document.createElement("div");
      container.append(renderMarkdown(markdown));
      document.body.append(container);
      // An onerror would fire once the image failed to load.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const elements = [...container.querySelectorAll("*")];
      const result = {
        tags: [...new Set(elements.map((element) => element.tagName.toLowerCase()))].sort(),
        attributes: [...new Set(elements.flatMap((element) => element.getAttributeNames()))].sort(),
        links: [...container.querySelectorAll("a")].map((anchor) => ({ href: anchor.getAttribute("href"), rel: anchor.rel, text: anchor.textContent })),
        text: container.textContent ?? "",
        pwned: (window as unknown as { pwned?: unknown }).pwned,
      };
      container.remove();
      return result;
    }, crafted);
    assert.equal(rendered.pwned, undefined);
    for (const tag of rendered.tags) assert.ok(["p", "br", "strong", "em", "code", "pre", "a", "ul", "ol", "li", "blockquote", "h1", "h2", "h3", "hr"].includes(tag), `<${tag}>`);
    assert.deepEqual(rendered.attributes, ["data-language", "href", "rel", "target"]);
    assert.deepEqual(rendered.links, [{ href: "https://example.com/docs", rel: "noopener noreferrer", text: "fine" }]);
    for (const written of ["<script>window.pwned = 'script'</script>", '<img src=x onerror="window.pwned = \'img\'">', "[click](javascript:window.pwned='link')", "<style>body{display:none}</style>"]) {
      assert.ok(rendered.text.includes(written), written);
    }
  });

  test("the Content-Security-Policy is a second wall: an inline script put into the page does not run", async () => {
    const outcome = await page.evaluate(async () => {
      const violations: string[] = [];
      document.addEventListener("securitypolicyviolation", (event) => violations.push(event.effectiveDirective));
      const script = document.createElement("script");
      script.textContent = "window.inlineRan = true";
      document.body.append(script);
      const image = document.createElement("img");
      image.setAttribute("src", "https://example.com/tracker.png");
      document.body.append(image);
      await new Promise((resolve) => setTimeout(resolve, 300));
      script.remove();
      image.remove();
      return { ran: (window as unknown as { inlineRan?: boolean }).inlineRan ?? false, violations };
    });
    assert.equal(outcome.ran, false);
    assert.ok(outcome.violations.includes("script-src-elem"), outcome.violations.join(", "));
    assert.ok(outcome.violations.includes("img-src"), outcome.violations.join(", "));
  });

  test("EventSource reads GET /generate: the same text as POST /generate", async () => {
    const fromBrowser = await page.evaluate(
      () =>
        new Promise<{ text: string; stopReason: string; completionTokens: number }>((resolve, reject) => {
          const source = new EventSource("generate?prompt=And%20God%20said&maxTokens=12&temperature=0");
          let text = "";
          source.addEventListener("token", (event) => (text += (JSON.parse(event.data) as { text: string }).text));
          source.addEventListener("done", (event) => {
            // Closed at once: EventSource would otherwise reconnect, and generate again.
            source.close();
            const done = JSON.parse(event.data) as { stopReason: string; usage: { completionTokens: number } };
            resolve({ text, stopReason: done.stopReason, completionTokens: done.usage.completionTokens });
          });
          source.addEventListener("error", () => {
            source.close();
            reject(new Error("the event stream failed"));
          });
        }),
    );
    const expected = await harness.server.context!.generate("And God said", { maxTokens: 12, temperature: 0 });
    assert.deepEqual(fromBrowser, { text: expected.text, stopReason: "maxTokens", completionTokens: 12 });
  });
});

describe("model output that is HTML, through the real path", { skip: skipBrowser && "MULLAMA_SKIP_BROWSER=1" }, () => {
  // A scripted model: whatever the prompt, it answers with exactly these pieces, one token each.
  const pieces = [
    "Look: ",
    "<script>window.pwned='script'</script>",
    " and ",
    "<img src=x onerror=\"window.pwned='img'\">",
    " and [click](javascript:window.pwned='link')",
    " and [docs](https://example.com/docs).",
    "\n\n```html\n",
    "<script>window.pwned='code'</script>",
    "\n```",
  ];
  let model: Model;
  let harness: TestServer;
  let context: BrowserContext;

  before(async () => {
    model = await Model.load(await makeScriptedModel({ pieces, fileName: "html-answer" }));
    harness = await startTestServer({ model, parallel: 1 });
    context = await browser.newContext();
  });
  after(async () => {
    await context?.close();
    await harness?.server.close();
    await model?.dispose();
  });

  async function checkAnswer(page: Page): Promise<void> {
    const messages = page.locator("#messages");
    assert.equal(await messages.locator("script, img, iframe, svg, style").count(), 0);
    const links = await messages.locator("a").evaluateAll((anchors) => anchors.map((anchor) => [anchor.getAttribute("href"), anchor.getAttribute("rel")]));
    assert.deepEqual(links, [["https://example.com/docs", "noopener noreferrer"]]);
    const answer = await page.locator(".message.assistant .message-body").innerText();
    for (const written of ["<script>window.pwned='script'</script>", "<img src=x onerror=\"window.pwned='img'\">", "[click](javascript:window.pwned='link')"]) assert.ok(answer.includes(written), written);
    assert.equal(await page.locator(".message.assistant pre code").innerText(), "<script>window.pwned='code'</script>");
    assert.equal(await page.evaluate(() => (window as unknown as { pwned?: unknown }).pwned), undefined);
  }

  test("is shown as text when it streams in, and again after a reload from storage", async () => {
    const page = await openPage(context, harness.url);
    await waitForModels(page);
    await page.fill("#prompt", "Show me some HTML");
    await page.keyboard.press("Enter");
    await waitForAnswers(page, 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await checkAnswer(page);
    await page.screenshot({ path: `${artifacts}chat-page-html-answer.png`, animations: "disabled" });
    await page.reload();
    await waitForModels(page);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await checkAnswer(page);
  });
});

describe("a server with an API key", { skip: skipBrowser && "MULLAMA_SKIP_BROWSER=1" }, () => {
  const apiKey = "browser-test-key";
  let harness: TestServer;
  let context: BrowserContext;

  before(async () => {
    harness = await startTestServer({ parallel: 1, apiKey });
    context = await browser.newContext();
  });
  after(async () => {
    await context?.close();
    await harness?.server.close();
  });

  test("the page loads without the key, says it needs one, then works with it", async () => {
    const page = await context.newPage();
    page.on("pageerror", (error) => pageErrors.push(error.message));
    const response = await page.goto(harness.url);
    assert.equal(response?.status(), 200);
    await page.waitForSelector("#notice:not([hidden])");
    assert.match(await page.innerText("#notice"), /needs an API key/);
    assert.ok(await page.isVisible("#api-key"), "the settings open at the key");
    assert.equal(await page.locator("#model option").count(), 0);

    await setField(page, "#api-key", "wrong-key");
    await page.waitForFunction(() => /not valid/.test(document.getElementById("notice")!.textContent ?? ""));

    await setField(page, "#api-key", apiKey);
    await waitForModels(page);
    assert.ok(await page.isHidden("#notice"));
    await setField(page, "#system-prompt", "You are brief.");
    // Greedy, so the answer is the same every run (sampled, it could end before its first token).
    await setField(page, "#temperature", "0");
    const sent = page.waitForRequest((request) => request.url().endsWith("/v1/chat/completions"));
    await page.fill("#prompt", "Who made the heaven?");
    await page.keyboard.press("Enter");
    const request = await sent;
    assert.equal(request.headers().authorization, `Bearer ${apiKey}`);
    assert.deepEqual((request.postDataJSON() as { messages: unknown }).messages, [
      { role: "system", content: "You are brief." },
      { role: "user", content: "Who made the heaven?" },
    ]);
    await waitForAnswers(page, 1);
    assert.notEqual(normalize((await messageTexts(page))[1]!), "");
    assert.match(await page.locator(".message.assistant .message-meta").innerText(), /tokens/);

    // Kept across a reload, like the other settings.
    await page.reload();
    await waitForModels(page);
    assert.equal(await page.inputValue("#api-key"), apiKey);
  });
});
