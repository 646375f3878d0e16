/**
 * The sandbox in its own process, so that the servers' work (TLS, dot-stuffing, IMAP formatting)
 * does not run on the event loop being measured. Driven over IPC by `sandbox-process.ts`.
 */
import { createHash } from 'node:crypto';
import { chown, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Sandbox, startSandbox } from '@kalisto/sandbox';
import { dotHeavyMessage } from './dot-heavy-message.js';
import type { InteropFixtures, SandboxReady, SandboxRequest, WrittenMaildir } from './sandbox-protocol.js';

/** Dovecot's mail user (nobody/nogroup in tooling/interop-servers). */
const MAIL_UID = 65534;
const SCRATCH = 'BenchMaildir';

/**
 * Writes `count` messages as maildir files under `directory/new/` (owned by Dovecot's mail user):
 * the sandbox's own generated messages (or the dot-heavy ones), as Postfix would deliver them.
 */
async function writeMaildir(
  sandbox: Sandbox,
  request: Extract<SandboxRequest, { op: 'writeMaildir' }>,
): Promise<WrittenMaildir> {
  const mailbox = sandbox.store.ensureMailbox(request.mailbox);
  const scratch = mailbox.folder(SCRATCH) ?? mailbox.createFolder(SCRATCH);
  for (const message of scratch.messages) scratch.setFlags(message.uid, ['\\Deleted']);
  scratch.expunge();
  if (request.dots)
    for (let i = 0; i < request.count; i++) scratch.append(dotHeavyMessage(i, request.size, request.mailbox));
  else sandbox.store.seed(request.mailbox, { count: request.count, size: request.size, folder: SCRATCH });
  for (const sub of ['', 'new', 'cur', 'tmp']) {
    await mkdir(join(request.directory, sub), { recursive: true });
    await chown(join(request.directory, sub), MAIL_UID, MAIL_UID);
  }
  const digests: string[] = [];
  let bytes = 0;
  for (const [i, message] of scratch.messages.entries()) {
    // Maildir names sort by their time part: the files keep the order they were generated in.
    const file = join(request.directory, 'new', `${1_700_000_000 + i}.M${i}P1.kalisto-bench`);
    await writeFile(file, message.raw);
    await chown(file, MAIL_UID, MAIL_UID);
    digests.push(createHash('sha256').update(message.raw).digest('hex'));
    bytes += message.raw.length;
  }
  for (const message of scratch.messages) scratch.setFlags(message.uid, ['\\Deleted']);
  scratch.expunge();
  return { digests, bytes };
}

function interopFixtures(sandbox: Sandbox): InteropFixtures {
  const { adele, megan, alex } = sandbox.fixtures.users;
  return {
    introspectionUrl: sandbox.endpoints.introspectionUrl,
    cert: sandbox.tls.cert,
    key: sandbox.tls.key,
    publicClientId: sandbox.fixtures.publicApp.clientId,
    reader: adele,
    recipient: megan,
    dotsReader: alex,
  };
}

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
    case 'interop':
      return interopFixtures(sandbox);
    case 'mintToken':
      return sandbox.hooks.mintToken({ upn: request.upn }).then((minted) => minted.token);
    case 'writeMaildir':
      return writeMaildir(sandbox, request);
    case 'cpuMs': {
      const { user, system } = process.cpuUsage();
      return (user + system) / 1e3;
    }
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
    Promise.resolve()
      .then(() => handle(sandbox, request))
      .then(
        (result) => process.send?.({ type: 'reply', id: request.id, result }),
        (error: Error) => process.send?.({ type: 'reply', id: request.id, error: String(error.message) }),
      );
  });
  process.on('disconnect', () => void sandbox.stop().then(() => process.exit(0)));
}

void main();
