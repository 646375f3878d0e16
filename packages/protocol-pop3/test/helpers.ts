/** Shared set-up of the integration tests: a sandbox, a Kalisto with the POP3 providers, seeding. */
import { createKalisto, type Kalisto } from '@kalisto/core';
import { type Sandbox, startSandbox } from '@kalisto/sandbox';
import { msalTokenProvider } from '@kalisto/token-msal';
import { pop3, pop3s } from '../src/index.js';

export interface Pop3TestBed {
  sandbox: Sandbox;
  kalisto: Kalisto;
  /** The mailbox the sandbox's properties log in to. */
  user: string;
  stop(): Promise<void>;
}

/** A running sandbox and a Kalisto with pop3/pop3s providers and the MSAL token provider. */
export async function startTestBed(): Promise<Pop3TestBed> {
  const sandbox = await startSandbox();
  const kalisto = createKalisto({ protocols: [pop3(), pop3s()], tokenProviders: [msalTokenProvider()] });
  const user = sandbox.properties['o365.user'] as string;
  return {
    sandbox,
    kalisto,
    user,
    async stop() {
      await kalisto.close();
      await sandbox.stop();
    },
  };
}

/** Replaces the Inbox of `address` with `messages` (exact bytes). */
export function seedInbox(sandbox: Sandbox, address: string, messages: readonly Buffer[]): void {
  const inbox = sandbox.store.mailbox(address)?.folder('Inbox');
  if (!inbox) throw new Error(`no Inbox for ${address}`);
  for (const message of inbox.messages) inbox.setFlags(message.uid, ['\\Deleted']);
  inbox.expunge();
  for (const raw of messages) inbox.append(raw);
}

/** The Inbox's messages as stored. */
export function inboxOf(sandbox: Sandbox, address: string): Buffer[] {
  return (sandbox.store.mailbox(address)?.folder('Inbox')?.messages ?? []).map((m) => m.raw);
}

/** A message whose lines exercise dot-stuffing: lines that are, or start with, dots. */
export function trickyMessage(index: number, bodyLines = 20): Buffer {
  const lines = [
    `From: sender${index}@contoso.example`,
    'To: adele@contoso.example',
    `Subject: Message ${index}`,
    `Message-ID: <m${index}@contoso.example>`,
    '',
    '.',
    '..',
    `.leading dot ${index}`,
    '',
  ];
  for (let i = 0; i < bodyLines; i++)
    lines.push(i % 7 === 0 ? `.${'x'.repeat(i)}` : `line ${i} of ${index} ${'y'.repeat(i % 50)}`);
  lines.push('. ');
  return Buffer.from(`${lines.join('\r\n')}\r\n`, 'latin1');
}
