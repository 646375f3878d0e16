/**
 * The sandbox in its own process, so that the servers' work (TLS, dot-stuffing, IMAP formatting)
 * does not run on the event loop being measured. Driven over IPC by `sandbox-process.ts`.
 */
import { createHash } from 'node:crypto';
import { type Sandbox, startSandbox } from '@kalisto/sandbox';
import { dotHeavyMessage } from './dot-heavy-message.js';
import type { SandboxReady, SandboxRequest } from './sandbox-protocol.js';

function clearInbox(sandbox: Sandbox, address: string) {
  const inbox = sandbox.store.ensureMailbox(address).folder('Inbox');
  if (!inbox) throw new Error(`no Inbox for ${address}`);
  for (const message of inbox.messages) inbox.setFlags(message.uid, ['\\Deleted']);
  inbox.expunge();
  return inbox;
}

function handle(sandbox: Sandbox, request: SandboxRequest): unknown {
  switch (request.op) {
    case 'seed':
      clearInbox(sandbox, request.mailbox);
      sandbox.store.seed(request.mailbox, { count: request.count, size: request.size });
      return null;
    case 'seedDots': {
      const inbox = clearInbox(sandbox, request.mailbox);
      for (let i = 0; i < request.count; i++) inbox.append(dotHeavyMessage(i, request.size, request.mailbox));
      return null;
    }
    case 'digests':
      return (sandbox.store.mailbox(request.mailbox)?.folder('Inbox')?.messages ?? []).map((m) =>
        createHash('sha256').update(m.raw).digest('hex'),
      );
    case 'inboxStats': {
      const messages = sandbox.store.mailbox(request.mailbox)?.folder('Inbox')?.messages ?? [];
      return { count: messages.length, bytes: messages.reduce((n, m) => n + m.raw.length, 0) };
    }
    case 'clear':
      clearInbox(sandbox, request.mailbox);
      return null;
    case 'requestCounts':
      return sandbox.hooks.requestCounts();
    case 'resetRequestCounts':
      sandbox.hooks.resetRequestCounts();
      return null;
    case 'graphRequestCounts':
      return sandbox.hooks.graph.requestCounts();
    case 'resetGraphRequestCounts':
      sandbox.hooks.graph.resetRequestCounts();
      return null;
  }
}

async function main() {
  const sandbox = await startSandbox({
    // Neither side of a comparison may meet Exchange's per-mailbox limits: they are not what is measured.
    behaviour: { smtp: { maxConnectionsPerMailbox: 1_000 } },
  });
  const ready: SandboxReady = {
    type: 'ready',
    properties: sandbox.properties,
    ca: sandbox.ca,
    authority: sandbox.endpoints.authority,
    tenantId: sandbox.tenant.id,
    clientId: sandbox.fixtures.confidentialApp.clientId,
    clientSecret: sandbox.fixtures.confidentialApp.secret,
    user: sandbox.properties['o365.user'] as string,
    otherUser: sandbox.fixtures.users.megan.upn,
    endpoints: {
      imaps: sandbox.endpoints.imaps,
      pop3s: sandbox.endpoints.pop3s,
      smtp: sandbox.endpoints.smtp,
      graph: sandbox.endpoints.graph,
    },
  };
  process.send?.(ready);
  process.on('message', (request: SandboxRequest) => {
    if (request.op === 'stop') {
      void sandbox.stop().then(() => process.exit(0));
      return;
    }
    try {
      process.send?.({ type: 'reply', id: request.id, result: handle(sandbox, request) });
    } catch (error) {
      process.send?.({ type: 'reply', id: request.id, error: String((error as Error).message) });
    }
  });
  process.on('disconnect', () => void sandbox.stop().then(() => process.exit(0)));
}

void main();
