import type { KalistoSession } from '@kalisto/core';
import { afterAll, describe, expect, it } from 'vitest';
import { GraphClient } from './graph-client.js';
import type { GraphOptions } from './options.js';

const options: GraphOptions = {
  baseUrl: 'https://graph.microsoft.com/v1.0',
  host: 'graph.microsoft.com',
  port: 443,
  mailbox: 'adele@contoso.example',
  scopes: ['https://graph.microsoft.com/.default'],
  saveToSentItems: true,
  from: undefined,
  timeoutMs: 1000,
  maxConcurrency: 4,
  maxRetries: 0,
  retryBudgetMs: 0,
  maxResponseBytes: 1024,
  maxMessageBytes: 1024,
  proxy: undefined,
  ca: undefined,
  appOnly: true,
  cloud: 'global',
};

/** A session whose token manager counts requests and never answers one. */
let tokenRequests = 0;
const session = {
  tokens: {
    getToken: async () => {
      tokenRequests++;
      throw new Error('no token in a unit test');
    },
  },
} as unknown as KalistoSession;
const silent = { debug() {}, info() {}, warn() {}, error() {} };

describe('GraphClient links', () => {
  const client = new GraphClient(session, options, silent);
  afterAll(() => client.close());

  it("never follows a link off Graph's origin with the token, nor over plain http", async () => {
    for (const url of [
      'https://evil.example/v1.0/users',
      'http://graph.microsoft.com/v1.0/users',
      'https://graph.microsoft.com:8443/x',
    ]) {
      await expect(
        client.send({ method: 'GET', url, operation: 'read', name: 'listMessages' }),
      ).rejects.toMatchObject({
        code: 'GRAPH_BAD_LINK',
      });
    }
    expect(tokenRequests).toBe(0);
  });

  it('builds mailbox paths with the address encoded', () => {
    expect(client.mailboxPath('/sendMail')).toBe('/users/adele%40contoso.example/sendMail');
  });

  it('refuses requests once closed', async () => {
    const closed = new GraphClient(session, options, silent);
    await closed.close();
    await expect(
      closed.send({ method: 'GET', url: '/users', operation: 'read', name: 'listMessages' }),
    ).rejects.toMatchObject({
      code: 'GRAPH_CLOSED',
    });
  });
});
