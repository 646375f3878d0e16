/**
 * A TCP proxy on a free 127.0.0.1 port in front of a real server that resets a connection once
 * `afterBytes` have gone one way (downstream: server to client; upstream: client to server), for
 * the first `times` connections that get that far. TLS passes through untouched (end to end).
 */
import { once } from 'node:events';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import type { ScenarioContext } from '../scenario.js';

export interface CuttingProxyOptions {
  target: { host: string; port: number };
  direction: 'downstream' | 'upstream';
  afterBytes: number;
  /** How many connections are cut; later ones pass whole. */
  times: number;
}

export interface CuttingProxy {
  readonly port: number;
  connections(): number;
  cuts(): number;
}

function reset(socket: Socket): void {
  try {
    socket.resetAndDestroy();
  } catch {
    socket.destroy();
  }
}

export async function startCuttingProxy(
  context: ScenarioContext,
  options: CuttingProxyOptions,
): Promise<CuttingProxy> {
  const sockets = new Set<Socket>();
  let connections = 0;
  let cuts = 0;
  const server = createServer((client) => {
    connections++;
    const upstream = connect(options.target.port, options.target.host);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    const [from, to] = options.direction === 'downstream' ? [upstream, client] : [client, upstream];
    const [back, forth] = options.direction === 'downstream' ? [client, upstream] : [upstream, client];
    back.pipe(forth);
    let passed = 0;
    let cutting = false;
    from.on('data', (chunk: Buffer) => {
      if (cutting) return;
      if (cuts < options.times && passed + chunk.length > options.afterBytes) {
        cutting = true;
        cuts++;
        to.write(chunk.subarray(0, options.afterBytes - passed), () => {
          reset(client);
          upstream.destroy();
        });
        return;
      }
      passed += chunk.length;
      if (!to.write(chunk)) {
        from.pause();
        to.once('drain', () => from.resume());
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  context.defer(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  return { port: (server.address() as AddressInfo).port, connections: () => connections, cuts: () => cuts };
}
