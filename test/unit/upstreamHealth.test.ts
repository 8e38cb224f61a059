/** When an upstream is ejected and when it comes back: consecutive failures of the engine's own, not busy answers or refused requests. */
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { test } from "node:test";
import { RemoteBusyError, RemoteConnectionError, RemoteRequestError, RemoteServerError } from "../../src/errors.ts";
import { Upstream } from "../../src/server/upstreams/upstream.ts";
import { unusedPort } from "../helpers/ports.ts";

const url = "http://engine/v1/completions";
const settings = { apiKey: undefined, maxInFlight: 4, ejectAfterFailures: 3, timeoutMs: 60_000, healthTimeoutMs: 300 };

async function answeringUpstream(): Promise<{ upstream: Upstream; close: () => Promise<void> }> {
  const server = createServer((_request, response) => response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ data: [{ id: "alpha" }, { id: "beta" }] })));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return { upstream: new Upstream({ ...settings, baseUrl: `http://127.0.0.1:${port}/v1` }), close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** One try sent and ended with `error`. */
function tryEnding(upstream: Upstream, error?: unknown): boolean {
  upstream.inFlight++;
  return upstream.recordEnd(error);
}

test("a health check reads the models; consecutive engine failures eject; a check that answers recovers", async () => {
  const { upstream, close } = await answeringUpstream();
  try {
    assert.equal(await upstream.check(), true, "healthy after its first answer");
    assert.deepEqual(upstream.models, ["alpha", "beta"]);
    assert.equal(tryEnding(upstream, new RemoteConnectionError(url, "reset")), false);
    assert.equal(tryEnding(upstream, new RemoteServerError(url, "boom", 500)), false);
    assert.equal(tryEnding(upstream, new RemoteConnectionError(url, "refused")), true, "the third in a row ejects");
    assert.equal(upstream.healthy, false);
    assert.equal(upstream.hasRoom, false, "nothing is routed to an ejected upstream");
    assert.equal(await upstream.check(), true, "recovered");
    assert.equal(upstream.counts.errors, 3);
    assert.equal(upstream.inFlight, 0);
  } finally {
    await close();
  }
});

test("busy answers and refused requests never eject; a success resets the count", async () => {
  const { upstream, close } = await answeringUpstream();
  try {
    await upstream.check();
    for (let index = 0; index < 5; index++) tryEnding(upstream, new RemoteBusyError(url, 503, "busy", 1_000));
    for (let index = 0; index < 5; index++) tryEnding(upstream, new RemoteRequestError(url, 400, "bad"));
    assert.equal(upstream.healthy, true);
    tryEnding(upstream, new RemoteConnectionError(url, "reset"));
    tryEnding(upstream, new RemoteConnectionError(url, "reset"));
    tryEnding(upstream);
    tryEnding(upstream, new RemoteConnectionError(url, "reset"));
    assert.equal(upstream.healthy, true, "the success in between reset the count");
  } finally {
    await close();
  }
});

test("an upstream that does not answer its first check is ejected at once, and keeps no models", async () => {
  const upstream = new Upstream({ ...settings, baseUrl: `http://127.0.0.1:${await unusedPort()}/v1` });
  assert.equal(await upstream.check(), false, "never healthy");
  assert.equal(upstream.healthy, false);
  assert.deepEqual(upstream.models, []);
});

test("a hung engine fails its health check within the health timeout, not the long request timeout", async () => {
  const server = createServer(() => {});
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  try {
    const upstream = new Upstream({ ...settings, baseUrl: `http://127.0.0.1:${port}/v1` });
    const started = performance.now();
    await upstream.check();
    assert.equal(upstream.healthy, false);
    assert.ok(performance.now() - started < 5_000, "gave up after about 300 ms");
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});
