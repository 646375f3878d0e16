/**
 * Fixes that point at the setting to change: implicit TLS against a plain port, an unreachable
 * identity platform, and where `kalisto config` says a derived value came from.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringifyProperties } from '@kalisto/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliSandbox, flat, runKalisto, startCliSandbox } from './helpers.js';

let box: CliSandbox;

beforeAll(async () => {
  box = await startCliSandbox();
});

afterAll(async () => {
  await box?.stop();
});

function kalisto(overrides: Record<string, string>, ...args: string[]) {
  const defines = Object.entries(overrides).flatMap(([name, value]) => ['-D', `${name}=${value}`]);
  return runKalisto([...box.config, ...defines, ...args]);
}

describe('implicit TLS against a plain port ("wrong version number")', () => {
  it.each([
    { protocol: 'imaps', plain: 'imap', args: ['folders'] },
    { protocol: 'pop3s', plain: 'pop3', args: ['pop3', 'list'] },
    {
      protocol: 'smtp',
      plain: 'smtp',
      args: ['send', '--to', 'megan@contoso.example', '--subject', 's', '--text', 't'],
      tls: true,
    },
  ])('$protocol: points at its ssl.enable and starttls.enable', async ({ protocol, plain, args, tls }) => {
    const port = box.sandbox.endpoints[plain as 'imap' | 'pop3' | 'smtp'].port;
    const run = await kalisto(
      {
        [`mail.${protocol}.port`]: String(port),
        ...(tls ? { [`mail.${protocol}.ssl.enable`]: 'true' } : {}),
      },
      ...args,
    );
    expect(run.code).toBe(4);
    const said = flat(run.stderr);
    expect(said).toContain(`answered a TLS handshake in plain text (wrong version number)`);
    expect(said).toContain(`set mail.${protocol}.ssl.enable=false and mail.${protocol}.starttls.enable=true`);
    expect(said).not.toContain('ssl3_get_record');
  });

  it('doctor says the same for the TLS check', async () => {
    const run = await kalisto({ 'mail.imaps.port': String(box.sandbox.endpoints.imap.port) }, 'doctor');
    expect(run.code).toBe(4);
    const out = flat(run.stdout);
    expect(out).toContain(
      'the server answered in plain text (wrong version number). (DOCTOR_TLS_PLAIN_PORT)',
    );
    expect(out).toContain('set mail.imaps.ssl.enable=false and mail.imaps.starttls.enable=true');
  });
});

describe('doctor on an unreachable identity platform', () => {
  it('names o365.oauth.authority / o365.oauth.url and port 443, not the mail ports', async () => {
    const run = await kalisto({ 'o365.oauth.authority': 'https://127.0.0.1:1' }, 'doctor');
    expect(run.code).toBe(4);
    const out = flat(run.stdout);
    expect(out).toContain('✗ TCP 127.0.0.1:1');
    expect(out).toContain(
      'fix: Check o365.oauth.authority (or o365.oauth.url, from which it is derived) and that a firewall or proxy lets this machine reach 127.0.0.1:1 (the identity platform: outbound HTTPS, port 443',
    );
    expect(out).not.toContain('993, 995 and 587');
  });

  it('names o365.oauth.url for the oauth2 provider, whose token URL may be another host', async () => {
    const run = await kalisto(
      { 'o365.oauth.provider': 'oauth2', 'o365.oauth.url': 'https://127.0.0.1:1/%s/oauth2/v2.0/token' },
      'doctor',
    );
    expect(run.code).toBe(4);
    expect(flat(run.stdout)).toContain(
      'fix: Check o365.oauth.url and that a firewall or proxy lets this machine reach 127.0.0.1:1',
    );
  });
});

describe('kalisto config', () => {
  it('labels the authority derived from o365.oauth.url as derived, in the table and in JSON', async () => {
    const { 'o365.oauth.authority': authority, ...rest } = box.sandbox.properties;
    const file = join(box.dir, 'no-authority.properties');
    await writeFile(file, stringifyProperties(rest));
    const table = await runKalisto(['--config', file, 'config']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(
      new RegExp(`\\no365\\.oauth\\.authority +${authority} +derived \\(o365\\.oauth\\.url\\)\\n`),
    );
    const json = await runKalisto(['--config', file, 'config', '--json']);
    expect(JSON.parse(json.stdout).properties).toContainEqual({
      property: 'o365.oauth.authority',
      value: authority,
      source: 'derived',
      derivedFrom: 'o365.oauth.url',
    });
  });
});

describe('stack traces', () => {
  it('token retry warnings carry no stack at default verbosity, and do with --debug', async () => {
    const unreachable = { 'o365.oauth.authority': 'https://127.0.0.1:1' };
    const [quiet, debug] = await Promise.all([
      kalisto(unreachable, 'token'),
      kalisto(unreachable, '--debug', 'token'),
    ]);
    expect(quiet.code).toBe(4);
    expect(quiet.stderr).toContain('WARN Token request failed; retrying.');
    expect(quiet.stderr).toContain('"code":"TOKEN_NETWORK_ERROR"');
    expect(quiet.stderr).not.toContain('"stack"');
    expect(quiet.stderr).not.toMatch(/\n\s+at /);
    expect(debug.code).toBe(4);
    expect(debug.stderr).toContain('"stack":"TokenError:');
  });
});
