/**
 * The `graph` protocol: a store (`session.store('graph')`, a {@link GraphMailbox}) and a transport
 * (`session.transport('graph')`, a nodemailer transporter) under one name, each one row of the
 * protocol-provider table, so an app that only sends registers only the transport.
 */
import type { ProtocolProvider } from '@kalisto/core';
import { defineProtocolProvider, type ProtocolContext } from '@kalisto/core/plugin';
import { GraphClient } from './graph-client.js';
import { GraphMailbox } from './mailbox.js';
import { graphOptions } from './options.js';
import { type GraphTransporter, openGraphTransport } from './transport.js';

declare module '@kalisto/core' {
  interface StoreClients {
    graph: GraphMailbox;
  }
  interface TransportClients {
    graph: GraphTransporter;
  }
}

/**
 * Opens the mailbox and checks it once (`GET /users/{mailbox}/mailFolders/inbox`), so that a wrong
 * identity, permission, policy or mailbox fails here with its fix.
 */
async function openGraphMailbox(context: ProtocolContext): Promise<GraphMailbox> {
  const { session, settings, logger, signal } = context;
  const client = new GraphClient(session, graphOptions(settings, session.config), logger);
  try {
    await client.json({
      method: 'GET',
      url: client.mailboxPath('/mailFolders/inbox?$select=id'),
      operation: 'read',
      name: 'getFolder',
      signal,
    });
  } catch (error) {
    await client.close();
    throw error;
  }
  return new GraphMailbox(client, logger);
}

/** Provider of `session.store('graph')`: the mailbox through Microsoft Graph. */
export function graphStore(): ProtocolProvider<GraphMailbox> {
  return defineProtocolProvider<GraphMailbox>({
    protocol: 'graph',
    type: 'store',
    create: openGraphMailbox,
    close: (mailbox) => mailbox.close(),
  });
}

/** Provider of `session.transport('graph')`: nodemailer's transporter, sending through Microsoft Graph. */
export function graphTransport(): ProtocolProvider<GraphTransporter> {
  return defineProtocolProvider<GraphTransporter>({
    protocol: 'graph',
    type: 'transport',
    create: openGraphTransport,
    close: async (transporter) => transporter.close(),
  });
}

/** Both: `createKalisto({ protocols: [...graph(), imaps(), smtp()] })`. */
export function graph(): [ProtocolProvider<GraphMailbox>, ProtocolProvider<GraphTransporter>] {
  return [graphStore(), graphTransport()];
}
