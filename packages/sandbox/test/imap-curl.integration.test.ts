import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALICE, type Harness, startHarness } from './imap-harness.js';

const run = promisify(execFile);

// curl is a client nobody here wrote; tooling/services/install.sh installs it.
describe('IMAP server with curl', () => {
  let harness: Harness;
  let dir: string;
  let caFile: string;

  beforeAll(async () => {
    // curl 7.88 always authenticates with OAUTHBEARER when given --oauth2-bearer.
    harness = await startHarness({ oauthBearer: true });
    dir = await mkdtemp(join(tmpdir(), 'kalisto-imap-curl-'));
    caFile = join(dir, 'ca.pem');
    await writeFile(caFile, harness.tls.ca);
  });

  afterAll(async () => {
    await harness.close();
    await rm(dir, { recursive: true, force: true });
  });

  const curl = (path: string, token: string) =>
    run('curl', [
      '--silent',
      '--show-error',
      '--max-time',
      '10',
      '--cacert',
      caFile,
      '--oauth2-bearer',
      token,
      '--user',
      `${ALICE}:`,
      `imaps://127.0.0.1:${harness.server.tlsPort}/${path}`,
    ]);

  it('lists folders and fetches a message by UID over implicit TLS with a bearer token', async () => {
    const listing = await curl('', 'valid');
    expect(listing.stdout).toContain('"Sent Items"');
    expect(listing.stdout).toContain('INBOX');

    const message = await curl('INBOX;UID=3', 'valid');
    const inbox = harness.store.mailbox(ALICE)!.folder('Inbox')!;
    expect(message.stdout).toBe(inbox.messages[2]!.raw.toString('utf8'));
    expect(harness.auth.requests.every((r) => r.mechanism === 'OAUTHBEARER')).toBe(true);
  });

  it('fails with a refused token', async () => {
    await expect(curl('INBOX', 'token-expired')).rejects.toMatchObject({ code: 67 });
  });
});
