import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpAgent } from './http-agent.js';

describe('createHttpAgent', () => {
  it('closes without ever having connected, and refuses requests once closed', async () => {
    const agent = createHttpAgent({ timeoutMs: 1000 });
    await agent.close();
    await agent.close();
    await expect(agent.request('https://127.0.0.1:9/', { method: 'GET' })).rejects.toThrow(/closed/);
  });
});

describe('createHttpAgent: what Graph needs besides token requests', () => {
  let server: Server;
  let url: string;
  const received: { method: string | undefined; body: Buffer }[] = [];
  /** Every byte value, twice: not valid UTF-8, so a text round trip would change it. */
  const binary = Buffer.from([...Array(256).keys(), ...Array(256).keys()]);

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        received.push({ method: req.method, body: Buffer.concat(chunks) });
        if (req.url === '/big') res.end(Buffer.alloc(300 * 1024, 0x61));
        else if (req.url === '/stalls') res.writeHead(200, { 'content-length': '10' }).write('half');
        else res.end(binary);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('sends PUT, PATCH and DELETE with byte bodies, and gives the reply body byte-exact', async () => {
    const agent = createHttpAgent({ timeoutMs: 5000 });
    try {
      for (const method of ['PUT', 'PATCH', 'DELETE'] as const) {
        const response = await agent.request(`${url}/bytes`, { method, body: binary });
        expect(response.body.equals(binary)).toBe(true);
        expect(received.at(-1)).toEqual({ method, body: binary });
      }
    } finally {
      await agent.close();
    }
  });

  it("takes a per-request reply cap instead of the agent's, above or below it", async () => {
    const agent = createHttpAgent({ timeoutMs: 5000 });
    try {
      await expect(agent.request(`${url}/big`, { method: 'GET' })).rejects.toMatchObject({
        code: 'ERR_RESPONSE_TOO_LARGE',
        limit: 256 * 1024,
      });
      const big = await agent.request(`${url}/big`, { method: 'GET', maxResponseBytes: 512 * 1024 });
      expect(big.body.length).toBe(300 * 1024);
      expect(big.text).toBe('a'.repeat(300 * 1024));
      await expect(
        agent.request(`${url}/bytes`, { method: 'GET', maxResponseBytes: 100 }),
      ).rejects.toMatchObject({ code: 'ERR_RESPONSE_TOO_LARGE', limit: 100 });
    } finally {
      await agent.close();
    }
  });

  it("one deadline covers the body, and the caller's signal aborts with its reason", async () => {
    const agent = createHttpAgent({ timeoutMs: 5000 });
    try {
      await expect(agent.request(`${url}/stalls`, { method: 'GET', timeoutMs: 100 })).rejects.toMatchObject({
        name: 'TimeoutError',
      });
      const controller = new AbortController();
      const pending = agent.request(`${url}/stalls`, { method: 'GET', signal: controller.signal });
      setTimeout(() => controller.abort(new Error('caller gave up')), 50);
      await expect(pending).rejects.toThrow('caller gave up');
    } finally {
      await agent.close();
    }
  });
});
