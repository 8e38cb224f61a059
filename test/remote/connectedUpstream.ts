/**
 * The setup the Context.connect tests share: a `mullama serve` on the demo model, in
 * process on loopback, and a RemoteContext connected to its `/v1`, made before the
 * suite's tests and closed after them.
 */
import { after, before } from "node:test";
import { Context, type RemoteContext, type ServerOptions } from "../../src/index.ts";
import { startTestServer, type TestServer } from "../server/helpers.ts";

export interface ConnectedUpstream {
  upstream: TestServer;
  remote: RemoteContext;
}

/** Registers the current suite's before and after hooks; read the fields inside its tests. */
export function connectedUpstream(options: ServerOptions): ConnectedUpstream {
  const connection = {} as ConnectedUpstream;
  before(async () => {
    connection.upstream = await startTestServer(options);
    connection.remote = await Context.connect(`${connection.upstream.url}/v1`);
  });
  after(async () => {
    await connection.remote.dispose();
    await connection.upstream.server.close();
  });
  return connection;
}
