/**
 * The chat page over HTTP (the browser tests drive it in Chromium): its files, their
 * content types and caching, the Content-Security-Policy, open without an API key while
 * the API stays closed, and `ui: false`. Also `GET /generate`, the EventSource route.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { buildWebPage } from "../helpers/webPage.js";
import { postJson, readServerSentEvents, startTestServer, type ParsedEvent, type TestServer } from "./helpers.js";

const apiKey = "page-test-key";
let harness: TestServer;

before(async () => {
  buildWebPage();
  harness = await startTestServer({ parallel: 2, apiKey });
});
after(() => harness.server.close());

describe("the chat page", () => {
  test("GET / is the page, with a strict CSP, revalidated by ETag, open without the API key", async () => {
    const response = await fetch(`${harness.url}/`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "text/html; charset=utf-8");
    const policy = response.headers.get("content-security-policy")!;
    for (const directive of ["default-src 'none'", "script-src 'self'", "connect-src 'self'", "frame-ancestors 'none'", "base-uri 'none'"]) assert.ok(policy.includes(directive), directive);
    assert.doesNotMatch(policy, /unsafe-inline|unsafe-eval/);
    assert.equal(response.headers.get("x-content-type-options"), "nosniff");
    assert.equal(response.headers.get("cache-control"), "no-cache");
    const html = await response.text();
    assert.match(html, /<script type="module" src="ui\/app\.js"><\/script>/);
    assert.doesNotMatch(html, /<script>|<script [^>]*>[^<]/, "no inline script");

    const entityTag = response.headers.get("etag")!;
    assert.match(entityTag, /^"[\w-]+"$/);
    const revalidated = await fetch(`${harness.url}/`, { headers: { "if-none-match": entityTag } });
    assert.equal(revalidated.status, 304);
    assert.equal(await revalidated.text(), "");
    assert.equal((await fetch(`${harness.url}/`, { headers: { "if-none-match": `W/${entityTag}, "other"` } })).status, 304);
    assert.equal((await fetch(`${harness.url}/`, { headers: { "if-none-match": '"other"' } })).status, 200);

    // The page is open; the API it calls is not.
    assert.equal((await fetch(`${harness.url}/v1/models`)).status, 401);
  });

  test("its scripts, style sheet and icon, each with its content type; every module the page imports is served", async () => {
    for (const [file, type] of [
      ["app.js", "text/javascript; charset=utf-8"],
      ["style.css", "text/css; charset=utf-8"],
      ["icon.svg", "image/svg+xml"],
    ]) {
      const response = await fetch(`${harness.url}/ui/${file}`);
      assert.equal(response.status, 200, file);
      assert.equal(response.headers.get("content-type"), type, file);
      assert.ok(response.headers.get("etag"), file);
    }
    // Follow the imports from app.js: a module the browser cannot fetch would break the page.
    const seen = new Set<string>();
    const pending = ["app.js"];
    let bytes = 0;
    while (pending.length > 0) {
      const file = pending.pop()!;
      if (seen.has(file)) continue;
      seen.add(file);
      const response = await fetch(`${harness.url}/ui/${file}`);
      assert.equal(response.status, 200, file);
      const source = await response.text();
      bytes += source.length;
      for (const match of source.matchAll(/from "\.\/([\w-]+\.js)"/g)) pending.push(match[1]!);
      // The first wall against script injection: model text never goes through an HTML parser.
      assert.doesNotMatch(source, /innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function/, file);
    }
    assert.ok(seen.size >= 10, `modules: ${[...seen].join(", ")}`);
    assert.ok(bytes < 64 * 1024, `the page's scripts are ${bytes} bytes`);
  });

  test("only plain file names under /ui/: a 404 for the rest, and unknown paths stay behind the key", async () => {
    for (const path of ["/ui/missing.js", "/ui/..%2Fpackage.json", "/ui/%2e%2e%2f%2e%2e%2fpackage.json", "/ui/.hidden.js", "/ui/index.html", "/ui/app.ts"]) {
      const response = await fetch(`${harness.url}${path}`);
      assert.equal(response.status, 404, path);
      assert.equal(((await response.json()) as { error: { code: string } }).error.code, "NOT_FOUND", path);
    }
    for (const path of ["/ui/", "/ui/nested/app.js", "/index.html"]) assert.equal((await fetch(`${harness.url}${path}`)).status, 401, path);
  });

  test("HEAD answers the headers without the body", async () => {
    const response = await fetch(`${harness.url}/ui/app.js`, { method: "HEAD" });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "text/javascript; charset=utf-8");
    assert.equal(await response.text(), "");
  });

  test("ui: false serves no page", async () => {
    const server = await startTestServer({ parallel: 1, ui: false });
    try {
      assert.equal((await fetch(`${server.url}/`)).status, 404);
      assert.equal((await fetch(`${server.url}/ui/app.js`)).status, 404);
      assert.equal((await fetch(`${server.url}/health`)).status, 200);
    } finally {
      await server.server.close();
    }
  });
});

describe("GET /generate (for EventSource)", () => {
  const authorization = { authorization: `Bearer ${apiKey}` };

  async function events(response: Response): Promise<ParsedEvent[]> {
    const collected: ParsedEvent[] = [];
    for await (const event of readServerSentEvents(response.body!)) collected.push(event);
    return collected;
  }

  test("the same events as POST /generate, options read from the query string", async () => {
    const options = { maxTokens: 12, temperature: 0, stop: ["Egypt"] };
    const posted = await events(await postJson(`${harness.url}/generate`, { prompt: "And God said", options }, authorization));
    const query = new URLSearchParams({ prompt: "And God said", maxTokens: "12", temperature: "0", stop: "Egypt" });
    const response = await fetch(`${harness.url}/generate?${query}`, { headers: authorization });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "text/event-stream");
    const got = await events(response);
    // The second run reuses the first one's prompt cache, so the done events differ in that count alone.
    const doneFields = (data: string) => {
      const { stopReason, usage } = JSON.parse(data) as { stopReason: string; usage: { completionTokens: number; promptTokens: number } };
      return { stopReason, completionTokens: usage.completionTokens, promptTokens: usage.promptTokens };
    };
    // Each stream starts with its own id; the events after it are the same.
    assert.deepEqual([got[0]!.event, posted[0]!.event], ["start", "start"]);
    const strip = (list: ParsedEvent[]) => list.slice(1).map(({ event, id, data }) => ({ event, id, data: event === "done" ? doneFields(data!) : JSON.parse(data!) }));
    assert.deepEqual(strip(got), strip(posted));
    assert.equal(got.at(-1)!.event, "done");
    assert.ok(got.filter((event) => event.event === "token").length > 1);
  });

  test("bad parameters are a 400 before any event; HEAD does not generate", async () => {
    for (const [query, param] of [
      ["prompt=x&maxTokens=-1", /maxTokens/],
      ["prompt=x&maxTokens=many", /maxTokens/],
      ["prompt=x&temperature=0&temperature=1", /temperature/],
      ["prompt=x&bogus=1", /bogus/],
      ["maxTokens=3", /prompt/],
    ] as const) {
      const response = await fetch(`${harness.url}/generate?${query}`, { headers: authorization });
      assert.equal(response.status, 400, query);
      const body = (await response.json()) as { error: { code: string; message: string } };
      assert.match(body.error.message, param, query);
    }
    assert.equal((await fetch(`${harness.url}/generate?prompt=x`, { method: "HEAD", headers: authorization })).status, 404);
    assert.equal((await fetch(`${harness.url}/generate?prompt=x&maxTokens=2`)).status, 401, "the key is needed, as for POST");
  });
});
