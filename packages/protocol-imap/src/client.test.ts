import { ImapFlow } from 'imapflow';
import { describe, expect, it } from 'vitest';
import { advertisedMechanisms, narrowMechanisms, OAuthImapFlow, tokenExpiryOf } from './client.js';

const capabilities = (...names: string[]) => new Map<string, unknown>(names.map((n) => [n, true]));

describe('narrowMechanisms', () => {
  it('hides OAUTHBEARER when only XOAUTH2 is allowed, so ImapFlow sends XOAUTH2', () => {
    const caps = capabilities('IMAP4rev1', 'AUTH=OAUTHBEARER', 'AUTH=XOAUTH2', 'SASL-IR');
    expect(narrowMechanisms(caps, ['XOAUTH2'])).toBe('XOAUTH2');
    expect([...caps.keys()]).toEqual(['IMAP4rev1', 'AUTH=XOAUTH2', 'SASL-IR']);
  });

  it('picks the first configured mechanism the server offers', () => {
    const both = capabilities('AUTH=XOAUTH2', 'AUTH=OAUTHBEARER');
    expect(narrowMechanisms(both, ['XOAUTH2', 'OAUTHBEARER'])).toBe('XOAUTH2');
    expect(advertisedMechanisms(both)).toEqual(['XOAUTH2']);
    const bearerOnly = capabilities('AUTH=XOAUTH2', 'AUTH=OAUTHBEARER');
    expect(narrowMechanisms(bearerOnly, ['OAUTHBEARER', 'XOAUTH2'])).toBe('OAUTHBEARER');
    expect(advertisedMechanisms(bearerOnly)).toEqual(['OAUTHBEARER']);
  });

  it('treats the legacy AUTH=XOAUTH as XOAUTH2, and answers undefined when nothing fits', () => {
    expect(narrowMechanisms(capabilities('AUTH=XOAUTH'), ['XOAUTH2'])).toBe('XOAUTH2');
    const plainOnly = capabilities('AUTH=PLAIN');
    expect(narrowMechanisms(plainOnly, ['XOAUTH2'])).toBeUndefined();
    expect([...plainOnly.keys()]).toEqual(['AUTH=PLAIN']);
  });
});

describe('ImapFlow', () => {
  it('still has the login step OAuthImapFlow overrides (internal in its typings)', () => {
    expect(typeof (ImapFlow.prototype as unknown as { authenticate?: unknown }).authenticate).toBe(
      'function',
    );
  });

  it('still has the parser stream and the error stamp the response bounds hook (internal too)', () => {
    const internals = ImapFlow.prototype as unknown as { createConnectionError?: unknown };
    expect(typeof internals.createConnectionError).toBe('function');
    const client = new OAuthImapFlow(
      { host: '127.0.0.1', port: 1, logger: false },
      { mechanisms: ['XOAUTH2'], allowInsecureAuth: false, protocol: 'imap' },
    );
    const streamer = (client as unknown as { streamer: { write: { name: string } } }).streamer;
    expect(streamer.write.name).toBe('guardedWrite');
  });
});

describe('tokenExpiryOf', () => {
  const endpoint = { host: '127.0.0.1', port: 1, logger: false } as const;

  it('reads the expiry the provider recorded on the client itself', () => {
    const client = new OAuthImapFlow(endpoint, {
      mechanisms: ['XOAUTH2'],
      allowInsecureAuth: false,
      protocol: 'imap',
    });
    expect(tokenExpiryOf(client)).toBeUndefined();
    client.tokenExpiresAt = 1_900_000_000_000;
    expect(tokenExpiryOf(client)).toBe(1_900_000_000_000);
  });

  it('is undefined for a plain ImapFlow the providers did not open', () => {
    expect(tokenExpiryOf(new ImapFlow(endpoint))).toBeUndefined();
  });
});
