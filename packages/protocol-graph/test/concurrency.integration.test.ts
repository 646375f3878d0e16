/**
 * mail.graph.maxConcurrency on the sandbox: requests in flight counted by an HTTPS server in front
 * of the sandbox's Graph endpoint (its certificate, so the client verifies it as the sandbox); and
 * the Graph token held by the client until its refresh point, not asked for on every request; the
 * per-request debug line only with mail.debug.
 */
import { Agent, createServer, request as httpsRequest, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { KalistoSession } from '@kalisto/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphClient } from '../src/graph-client.js';
import { graphOptions } from '../src/options.js';
import { type GraphTestBed, startGraphBed } from './helpers.js';

let bed: GraphTestBed;
beforeAll(async () => {
  bed = await startGraphBed();
});
afterAll(async () => {
  await bed?.stop();
});

/**
 * An HTTPS server forwarding to the sandbox's Graph endpoint that counts requests in flight: from
 * their arrival until just before the reply's last byte is written (so never more than the client
 * has in flight). Once `arm()`ed, it holds every request until `gateAt` are in flight at once (or
 * `gateMs` passed, which only a hang reaches), so that the peak is reached whatever the machine's speed.
 */
async function countingFront(gateAt: number, gateMs = 20_000) {
  const { graph } = bed.sandbox.endpoints;
  const upstream = new Agent({ ca: bed.sandbox.ca, keepAlive: true });
  const stats = { inFlight: 0, peak: 0, requests: 0 };
  let openGate: () => void = () => {};
  const gate = new Promise<void>((resolve) => {
    openGate = resolve;
  });
  let gateTimer: NodeJS.Timeout | undefined;
  let armed = false;
  const server: Server = createServer(
    { key: bed.sandbox.tls.key, cert: bed.sandbox.tls.cert },
    async (req, res) => {
      stats.requests++;
      stats.inFlight++;
      stats.peak = Math.max(stats.peak, stats.inFlight);
      if (stats.inFlight >= gateAt) openGate();
      if (armed) await gate;
      const forward = httpsRequest(
        {
          host: graph.host,
          port: graph.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: `${graph.host}:${graph.port}` },
          agent: upstream,
        },
        (reply) => {
          const chunks: Buffer[] = [];
          reply.on('data', (chunk: Buffer) => chunks.push(chunk));
          reply.on('end', () => {
            stats.inFlight--;
            const { 'transfer-encoding': _chunked, ...headers } = reply.headers;
            res.writeHead(reply.statusCode ?? 502, headers).end(Buffer.concat(chunks));
          });
        },
      );
      forward.on('error', (error) => {
        stats.inFlight--;
        res.writeHead(502).end(String(error));
      });
      req.pipe(forward);
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    stats,
    port: (server.address() as AddressInfo).port,
    arm() {
      armed = true;
      gateTimer = setTimeout(openGate, gateMs);
    },
    async close() {
      clearTimeout(gateTimer);
      openGate();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      upstream.destroy();
    },
  };
}

describe('mail.graph.maxConcurrency', () => {
  it('50 concurrent sendMail: never more than 4 requests in flight at the server, all 50 sent once', async () => {
    const front = await countingFront(4);
    try {
      const transport = await bed.session({ 'mail.graph.port': String(front.port) }).transport('graph');
      bed.sandbox.hooks.graph.resetRequestCounts();
      front.arm();
      const sent = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          transport.sendMail({ from: bed.user, to: bed.user, subject: `limit ${i}`, text: 'x' }),
        ),
      );
      expect(sent.every((info) => info.accepted.length === 1)).toBe(true);
      expect(bed.sandbox.hooks.graph.requestCounts().sendMail).toBe(50);
      expect(front.stats.peak).toBe(4);
      expect(front.stats.inFlight).toBe(0);
    } finally {
      await front.close();
    }
  });

  it('mail.graph.maxConcurrency=2: at most 2 in flight', async () => {
    const front = await countingFront(2);
    try {
      const session = bed.session({
        'mail.graph.port': String(front.port),
        'mail.graph.maxConcurrency': '2',
      });
      const mailbox = await session.store('graph');
      front.arm();
      await Promise.all(Array.from({ length: 12 }, () => mailbox.folders()));
      expect(front.stats.peak).toBe(2);
      expect(front.stats.requests).toBeGreaterThanOrEqual(13);
    } finally {
      await front.close();
    }
  });
});

describe('the Graph token', () => {
  it('is held by the client until its refresh point: one getToken for many requests', async () => {
    const session = bed.session();
    let asked = 0;
    const counting = {
      config: session.config,
      tokens: {
        ...session.tokens,
        getToken: (request: Parameters<KalistoSession['tokens']['getToken']>[0]) => {
          asked++;
          return session.tokens.getToken(request);
        },
      },
    } as unknown as KalistoSession;
    const settings = session.config.protocols.graph;
    if (settings === undefined) throw new Error('no graph settings');
    const client = new GraphClient(counting, graphOptions(settings, session.config), bed.logger);
    try {
      for (let i = 0; i < 20; i++)
        await client.json({
          method: 'GET',
          url: client.mailboxPath('/mailFolders/inbox'),
          operation: 'read',
          name: 'getFolder',
        });
      expect(asked).toBe(1);
    } finally {
      await client.close();
    }
  });

  it('each request is logged (debug) only with mail.debug: the hot path builds no log line otherwise', async () => {
    const requestLines = () =>
      bed.logger.lines.filter((line) => line.includes('"msg":"Graph request"')).length;
    const quiet = await bed.session({ 'mail.debug': 'false' }).store('graph');
    const before = requestLines();
    await quiet.folders();
    expect(requestLines()).toBe(before);
    const chatty = await bed.session({ 'mail.debug': 'true' }).store('graph');
    await chatty.folders();
    expect(requestLines()).toBeGreaterThan(before);
  });
});
