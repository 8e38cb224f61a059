/** An engine's base URL as Context.connect and --upstream take it: http(s) only, no trailing slash, no credentials in it. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { InvalidArgumentError } from "../../src/errors.ts";
import { parseBaseUrl } from "../../src/remote/RemoteContext.ts";

test("a base URL is kept without its trailing slashes", () => {
  assert.equal(parseBaseUrl("http://127.0.0.1:8000/v1/"), "http://127.0.0.1:8000/v1");
  assert.equal(parseBaseUrl("https://engine.example/v1"), "https://engine.example/v1");
});

test("other schemes, non-URLs and URLs with a user name or password are refused, naming the argument", () => {
  const refused = (value: string, argument: string, pattern: RegExp) =>
    assert.throws(() => parseBaseUrl(value, argument), (error: unknown) => error instanceof InvalidArgumentError && error.argument === argument && pattern.test(error.message));
  refused("ftp://engine/v1", "baseUrl", /expected an http\(s\) URL, got ftp:/);
  refused("engine:8000", "baseUrl", /expected an http\(s\) URL/);
  refused("not a url", "upstreams[0]", /expected an http\(s\) URL such as/);
  refused("http://user:secret@engine:8000/v1", "upstreams[1]", /must not carry a user name or password/);
  assert.throws(() => parseBaseUrl("http://user:secret@engine:8000/v1"), (error: unknown) => error instanceof Error && !error.message.includes("secret"), "the password is not echoed");
});
