import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseProperties } from '@kalisto/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNoSecrets, runKalisto } from './helpers.js';

const resourcesXml = fileURLToPath(new URL('./fixtures/resources.xml', import.meta.url));
/** The fixture's secrets: the {xor} encodings and what they decode to. */
const secrets = ['{xor}FD4zNiwrMHILOiwrcgw6PC06K3Ju', 'Kalisto-Test-Secret-1', '{xor}LDo8LTor'];

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kalisto-import-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('kalisto import-websphere', () => {
  it('turns the session of a resources.xml into a Kalisto .properties file (mode 0600)', async () => {
    const output = join(dir, 'office365.properties');
    const run = await runKalisto([
      'import-websphere',
      resourcesXml,
      '--session',
      'mail/office365',
      '-o',
      output,
    ]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`✓ 17 properties of outlook-store written to ${output} (mode 0600)`);
    expect(run.stdout).toContain('note: mailTransportPassword was set but is not copied');
    expect(run.stdout).toContain(`Next: kalisto --config ${output} doctor`);
    expectNoSecrets(run, secrets);

    expect((await stat(output)).mode & 0o777).toBe(0o600);
    const text = await readFile(output, 'utf8');
    expect(text.split('\n')[0]).toBe(
      '# Imported by kalisto import-websphere from resources.xml, mail session outlook-store (mail/office365)',
    );
    expect(parseProperties(text)).toEqual({
      'mail.transport.protocol': 'smtp',
      'mail.smtp.class': 'pl.slawas.mail.outlook.smtp.OutlookTransport',
      'mail.smtp.host': 'smtp.office365.com',
      'mail.smtp.user': 'scichy@contoso.example',
      'mail.store.protocol': 'imap',
      'mail.imap.class': 'pl.slawas.mail.outlook.store.OutlookStore',
      'mail.imap.host': 'outlook.office365.com',
      'mail.imap.user': 'scichy@contoso.example',
      'mail.smtp.from': 'scichy@contoso.example',
      'websphere.cache': 'services/cache/tokenO365',
      'security.encoder.class': 'com.ibm.ws.security.util.WSEncoderDecoder',
      'o365.user': 'scichy@contoso.example',
      'o365.oauth.tenant': '161ee23e-798c-481d-975a-39345f76032a',
      'o365.oauth.clientId': '782d2e03-9066-4d59-ab6a-a2cfbc0212a1',
      'o365.oauth.clientSecret': '{xor}FD4zNiwrMHILOiwrcgw6PC06K3Ju',
      'mail.imap.mailbox.timeout': '10000',
      'mail.smtp.port': '587',
    });

    // The file works as it is: Kalisto decodes the {xor} secret and maps the Java classes.
    const config = await runKalisto(['--config', output, 'config', '--json']);
    expect(config.code).toBe(0);
    const rows = JSON.parse(config.stdout).properties as { property: string; value: string }[];
    expect(rows.find((r) => r.property === 'o365.oauth.clientSecret')?.value).toBe('***');
    expectNoSecrets(config, secrets);
  });

  it('previews with secrets as *** when no --output is given', async () => {
    const run = await runKalisto(['import-websphere', resourcesXml, '--session', 'outlook-store']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('o365.oauth.clientSecret=***');
    expect(run.stdout).toContain('o365.oauth.tenant=161ee23e-798c-481d-975a-39345f76032a');
    expectNoSecrets(run, secrets);
  });

  it('asks which session when the file has several (exit 2), and names them', async () => {
    const run = await runKalisto(['import-websphere', resourcesXml]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('The file has 2 mail sessions.');
    expect(run.stderr).toContain('outlook-store (mail/office365), notifications (mail/notifications)');
  });

  it('maps the other session (imaps/smtps providers) and lists what is still missing', async () => {
    const run = await runKalisto(['import-websphere', resourcesXml, '--session', 'notifications', '--json']);
    expect(run.code).toBe(0);
    const document = JSON.parse(run.stdout);
    expect(document.properties).toMatchObject({
      'mail.transport.protocol': 'smtps',
      'mail.smtps.class': 'pl.slawas.mail.outlook.smtp.OutlookSSLTransport',
      'mail.smtps.host': 'smtp.office365.com',
      'mail.store.protocol': 'imaps',
      'mail.imaps.class': 'pl.slawas.mail.outlook.store.OutlookSSLStore',
    });
    expect(document.problems.join('\n')).toContain('o365.oauth.clientId');
  });

  it('takes a .properties export of the custom properties', async () => {
    const file = join(dir, 'custom.properties');
    await writeFile(
      file,
      'o365.oauth.tenant=contoso.example\no365.oauth.clientId=782d2e03-9066-4d59-ab6a-a2cfbc0212a1\no365.oauth.clientSecret={xor}LDo8LTor\n',
    );
    const output = join(dir, 'from-properties.properties');
    const run = await runKalisto(['import-websphere', file, '-o', output]);
    expect(run.code).toBe(0);
    expect(parseProperties(await readFile(output, 'utf8'))['o365.oauth.clientSecret']).toBe('{xor}LDo8LTor');
    expectNoSecrets(run, secrets);
  });

  it('exits 2 for a file that is not XML', async () => {
    const file = join(dir, 'broken.xml');
    await writeFile(file, '<xmi:XMI><unclosed>');
    const run = await runKalisto(['import-websphere', file]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('Not a valid resources.xml');
  });
});
