import { createKalisto, type KalistoSession } from '@kalisto/core';
import { defineTokenProvider } from '@kalisto/core/plugin';
import { afterAll, describe, expect, expectTypeOf, it } from 'vitest';
import type { GraphMailbox } from './mailbox.js';
import { graph, graphStore, graphTransport } from './provider.js';
import type { GraphTransporter } from './transport.js';

const PROPERTIES = {
  'o365.oauth.tenant': 'contoso.onmicrosoft.com',
  'o365.oauth.clientId': '782d2e03-9066-4d59-ab6a-a2cfbc0212a1',
  'o365.oauth.clientSecret': 'unused',
  'o365.user': 'adele@contoso.example',
};

/** A token provider that must never be reached by these tests. */
let tokenRequests = 0;
const unreachable = defineTokenProvider({
  name: 'msal',
  create: () => ({
    name: 'msal',
    getToken: async () => {
      tokenRequests++;
      throw new Error('no token in a unit test');
    },
  }),
});

describe('graph providers', () => {
  const kalisto = createKalisto({ protocols: [...graph()], tokenProviders: [unreachable] });
  afterAll(() => kalisto.close());

  it('are one store and one transport under the name graph', () => {
    expect(graph().map((p) => [p.protocol, p.type])).toEqual([
      ['graph', 'store'],
      ['graph', 'transport'],
    ]);
    expect(kalisto.protocols.resolve('graph', 'store').type).toBe('store');
    expect(kalisto.protocols.resolve('graph', 'transport').type).toBe('transport');
  });

  it('type session.store/transport("graph") as the mailbox and the nodemailer transporter', () => {
    const open = (session: KalistoSession) => [session.store('graph'), session.transport('graph')] as const;
    expectTypeOf(open).returns.toEqualTypeOf<readonly [Promise<GraphMailbox>, Promise<GraphTransporter>]>();
  });

  it('registered alone, the transport says the store is missing', () => {
    const sendOnly = createKalisto({ protocols: [graphTransport()] });
    const error = (() => {
      try {
        sendOnly.protocols.resolve('graph', 'store');
      } catch (e) {
        return e as { code: string; message: string };
      }
    })();
    expect(error?.code).toBe('PROTOCOL_WRONG_TYPE');
    expect(error?.message).toContain('@kalisto/protocol-graph provides a store "graph" too: register it.');
    expect(graphStore().protocol).toBe('graph');
  });

  it('refuses mail.graph.saveToSentItems=false before any request: MIME sendMail always keeps a copy', async () => {
    const session = kalisto.session({ ...PROPERTIES, 'mail.graph.saveToSentItems': 'false' });
    await expect(session.transport('graph')).rejects.toMatchObject({
      name: 'ConfigError',
      issues: [expect.objectContaining({ property: 'mail.graph.saveToSentItems' })],
    });
    expect(tokenRequests).toBe(0);
  });
});
