/**
 * Three relay processes (multi-instance-child.ts) on one redis-server: the token cache
 * (`websphere.cache` on @kalisto/cache-redis) and `kalisto.relay.queue=redis` shared, the sandbox
 * upstream in this process. 200 concurrent sends spread across them → one token request at the
 * sandbox's identity platform, every message in the sandbox's store exactly once (by Message-ID).
 * Then one instance is SIGKILLed holding deliveries in flight (its upstream answers held back, so
 * they are claimed but not transmitted): the others deliver everything it had accepted, once.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { FIXTURE, type Sandbox, startSandbox } from '@kalisto/sandbox';
import { type RedisServer, startRedisServer } from '@kalisto/test-support';
import { build } from 'esbuild';
import { createTransport } from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDeliveryQueue } from '../src/index.js';
import { eventually } from './helpers.js';

const { adele, megan } = FIXTURE.users;
const SENDS = 200;
const PREFIX = `multi${process.pid}`;
const CONCURRENCY = 3;

let sandbox: Sandbox;
let redis: RedisServer;
/** The child bundled once, so each start costs node's start-up only. */
let bundle = '';

beforeAll(async () => {
  // Three instances × a pool of 3: more SMTP sessions for one mailbox than Exchange's 3 (432 4.3.2
  // retries are another test's subject; here every delivery should go through at once).
  sandbox = await startSandbox({ behaviour: { smtp: { maxConnectionsPerMailbox: 100 } } });
  redis = await startRedisServer();
  // Inside this package's node_modules, so the bundle's imports of bullmq and ioredis resolve.
  bundle = join(import.meta.dirname, '..', 'node_modules', '.cache', `multi-instance-${process.pid}.mjs`);
  await build({
    entryPoints: [join(import.meta.dirname, 'multi-instance-child.ts')],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: ['dev-source'],
    external: ['bullmq', 'ioredis'],
    // msal-node and nodemailer are CommonJS: give the ESM bundle a require.
    banner: {
      js: "import { createRequire as bannerCreateRequire } from 'node:module'; const require = bannerCreateRequire(import.meta.url);",
    },
    logLevel: 'silent',
  });
}, 60_000);

afterAll(async () => {
  await sandbox?.stop();
  await redis?.stop();
  if (bundle) rmSync(bundle, { force: true });
});

/** A TCP forwarder to the sandbox's SMTP server that can hold upstream's bytes back and counts the relay's. */
interface HoldingForwarder {
  readonly port: number;
  /** From now on, what upstream says is not passed on (the relay waits for its reply). */
  hold(): void;
  /** Bytes the relay has sent upstream so far. */
  bytesFromClients(): number;
  close(): Promise<void>;
}

async function startForwarder(host: string, port: number): Promise<HoldingForwarder> {
  let holding = false;
  let fromClients = 0;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(port, host);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
      socket.once('close', () => sockets.delete(socket));
    }
    client.on('data', (chunk: Buffer) => {
      fromClients += chunk.length;
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!holding) client.write(chunk);
    });
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => client.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    hold: () => {
      holding = true;
    },
    bytesFromClients: () => fromClients,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

interface Instance {
  readonly port: number;
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
}

/** Starts one relay instance whose upstream SMTP is at `smtpPort`; resolves once it listens. */
async function startInstance(smtpPort: number): Promise<Instance> {
  const properties = {
    ...sandbox.properties,
    'mail.smtp.port': String(smtpPort),
    'websphere.cache': 'services/cache/tokenO365',
    'kalisto.relay.listener.devices.protocol': 'smtp',
    'kalisto.relay.listener.devices.port': '0',
    'kalisto.relay.listener.devices.mode': 'trusted-networks',
    'kalisto.relay.listener.devices.tls': 'none',
    'kalisto.relay.listener.devices.trustedNetworks': '127.0.0.0/8',
    'kalisto.relay.listener.devices.allowedSenders': adele,
    'kalisto.relay.listener.devices.maxConnections': '500',
    'kalisto.relay.queue': 'redis',
    'kalisto.relay.queue.redis.url': redis.url,
    'kalisto.relay.queue.redis.prefix': PREFIX,
    'kalisto.relay.queue.concurrency': String(CONCURRENCY),
    'kalisto.relay.queue.lease': '1000',
    'kalisto.relay.queue.backoff.base': '50',
    'kalisto.relay.queue.backoff.max': '500',
  };
  const child = spawn(process.execPath, [bundle], {
    env: {
      ...process.env,
      KALISTO_RELAY_PROPERTIES: JSON.stringify(properties),
      KALISTO_CACHE_URL: redis.url,
      KALISTO_CACHE_PREFIX: `${PREFIX}:tokens:`,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4_000);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      const event = line.startsWith('{') ? (JSON.parse(line) as { event: string; port?: number }) : undefined;
      if (event?.event === 'listening') resolve(event.port as number);
    });
    void exited.then((code) => reject(new Error(`relay instance exited with ${code}: ${stderr}`)));
  });
  return { port, child, exited };
}

/** Message `index`: its Message-ID names it. */
function message(index: number): Buffer {
  return Buffer.from(
    `From: ${adele}\r\nTo: ${megan}\r\nSubject: multi ${index}\r\nMessage-ID: <multi-${index}@relay.test>\r\n\r\nMessage ${index} through one of three relays.\r\n`,
  );
}

/** Sends message `index` through the relay on `port` (its own SMTP session); resolves with the reply. */
async function send(port: number, index: number): Promise<string> {
  const transport = createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
  try {
    const info = await transport.sendMail({ envelope: { from: adele, to: [megan] }, raw: message(index) });
    return info.response;
  } finally {
    transport.close();
  }
}

/** How many times each `multi-N` Message-ID is in megan's Inbox at the sandbox. */
function deliveredCounts(): Map<number, number> {
  const counts = new Map<number, number>();
  for (const stored of sandbox.store.mailbox(megan)?.folder('Inbox')?.messages ?? []) {
    const index = /^Message-ID: <multi-(\d+)@relay\.test>/im.exec(stored.raw.toString('latin1'))?.[1];
    if (index !== undefined) counts.set(Number(index), (counts.get(Number(index)) ?? 0) + 1);
  }
  return counts;
}

/** Resolves once the shared queue holds nothing (pending, in flight or dead). */
async function queueDrained(): Promise<void> {
  const queue = await openDeliveryQueue({ kind: 'redis', url: redis.url, prefix: PREFIX });
  try {
    await eventually(async () => {
      const stats = await queue.stats();
      return stats.pending === 0 && stats.inFlight === 0 && stats.dead === 0;
    }, 6_000);
  } finally {
    await queue.close();
  }
}

describe('three relay instances on one Redis', () => {
  let forwarder: HoldingForwarder;
  let instances: Instance[] = [];

  afterAll(async () => {
    for (const instance of instances) instance.child.kill('SIGKILL');
    await Promise.all(instances.map((instance) => instance.exited));
    await forwarder?.close();
  });

  it(`${SENDS} concurrent sends across three instances: one token request, every message delivered once; one SIGKILLed with mail in flight loses nothing`, async () => {
    const { host, port } = sandbox.endpoints.smtp;
    // Instance 0 reaches the sandbox through a forwarder that can hold upstream's answers back.
    forwarder = await startForwarder(host, port);
    instances = await Promise.all([startInstance(forwarder.port), startInstance(port), startInstance(port)]);
    sandbox.hooks.resetRequestCounts();

    const replies = await Promise.all(
      Array.from({ length: SENDS }, (_, i) => send((instances[i % 3] as Instance).port, i)),
    );
    for (const reply of replies) expect(reply).toMatch(/^250 2\.0\.0 Queued as /);
    await eventually(async () => deliveredCounts().size === SENDS, 30_000);
    await queueDrained();
    const counts = deliveredCounts();
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect(counts.size).toBe(SENDS);
    // Between the three processes: one token, fetched by one of them under the cache's lock.
    expect(sandbox.hooks.requestCounts().client_credentials).toBe(1);

    // Instance 0's upstream stops answering: what it claims next stays in flight, untransmitted.
    forwarder.hold();
    const upstreamBytes = forwarder.bytesFromClients();
    const second = Array.from({ length: 60 }, (_, i) => SENDS + i);
    const accepted = await Promise.all(second.map((index) => send((instances[0] as Instance).port, index)));
    for (const reply of accepted) expect(reply).toMatch(/^250 2\.0\.0 Queued as /);
    // Instance 0 has sent a command upstream after the hold: a delivery of its own is in flight.
    await eventually(async () => forwarder.bytesFromClients() > upstreamBytes);
    const killed = instances[0] as Instance;
    killed.child.kill('SIGKILL');
    expect(await killed.exited).toBeNull();
    // What it had claimed is not delivered yet: only a take-over can deliver it.
    expect(deliveredCounts().size).toBeLessThan(SENDS + second.length);

    // The others take over its claims once their lease lapses and deliver everything accepted.
    await eventually(async () => deliveredCounts().size === SENDS + second.length, 30_000);
    await queueDrained();
    const final = deliveredCounts();
    expect(final.size).toBe(SENDS + second.length);
    // Its deliveries were claimed but never transmitted: no duplicate is even allowed here.
    expect([...final.entries()].filter(([, n]) => n !== 1)).toEqual([]);
    expect(sandbox.hooks.requestCounts().client_credentials).toBe(1);

    for (const instance of instances.slice(1)) instance.child.kill('SIGTERM');
    for (const instance of instances.slice(1)) expect(await instance.exited).toBe(0);
  }, 180_000);
});
