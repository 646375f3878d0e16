import { describe, expect, it } from 'vitest';
import { FIXTURE_SECRETS } from '../../test/runtime-fixtures.js';
import { Secret } from '../config/secret.js';
import { TokenError } from '../errors/errors.js';
import { wrapPluginError } from '../errors/plugin-error.js';
import { createRedactor, MAX_LOGGED_ENTRIES, MAX_SCRUBBED_TEXT_LENGTH, redactSecrets } from './redactor.js';

const JWT = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL291dGxvb2sifQ.c2lnbmF0dXJlLXZhbHVl';
const XOAUTH2 = Buffer.from(
  `user=someone@contoso.example\x01auth=Bearer ${FIXTURE_SECRETS.tokenPrefix}1\x01\x01`,
).toString('base64');

describe('createRedactor', () => {
  it('scrubs known secret values, Secret instances included', () => {
    const r = createRedactor([FIXTURE_SECRETS.password, new Secret(FIXTURE_SECRETS.clientSecret), undefined]);
    expect(r.text(`login with ${FIXTURE_SECRETS.password} and ${FIXTURE_SECRETS.clientSecret}`)).toBe(
      'login with *** and ***',
    );
  });

  it('scrubs bearer tokens, JWTs, SASL payloads and credentials in form bodies whatever their value', () => {
    const r = createRedactor();
    expect(r.text(`Authorization: Bearer ${FIXTURE_SECRETS.tokenPrefix}9`)).toBe('Authorization: Bearer ***');
    expect(r.text(`token ${JWT} refused`)).toBe('token *** refused');
    expect(r.text(`C: A1 AUTHENTICATE XOAUTH2 ${XOAUTH2}`)).toBe('C: A1 AUTHENTICATE XOAUTH2 ***');
    expect(r.text('grant_type=password&password=p4ss&client_secret=s3cr3t&scope=x')).toBe(
      'grant_type=password&password=***&client_secret=***&scope=x',
    );
  });

  it('keeps ephemeral values (tokens) in a bounded set', () => {
    const r = createRedactor();
    for (let i = 0; i < 100; i++) r.add(`${FIXTURE_SECRETS.tokenPrefix}${i}-x`, { ephemeral: true });
    expect(r.text(`${FIXTURE_SECRETS.tokenPrefix}99-x`)).toBe('***');
    expect(r.text(`${FIXTURE_SECRETS.tokenPrefix}0-x`)).toBe(`${FIXTURE_SECRETS.tokenPrefix}0-x`);
  });

  it('copies log objects with secret-named keys, Secrets, errors and cycles handled', () => {
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    const err = new TokenError(`bad ${FIXTURE_SECRETS.password}`, { code: 'TOKEN_X' });
    const out = redactSecrets(
      {
        accessToken: 'opaque-value',
        nested: { client_secret: 'abc123456', list: [new Secret('x'), 'plain'] },
        err,
        cyclic,
        when: new Date(0),
      },
      [FIXTURE_SECRETS.password],
    ) as { accessToken: unknown; nested: unknown; err: unknown; cyclic: { self: unknown }; when: unknown };
    expect(out.accessToken).toBe('***');
    expect(out.nested).toEqual({ client_secret: '***', list: ['***', 'plain'] });
    expect(out.err).toMatchObject({ type: 'TokenError', message: 'bad ***', code: 'TOKEN_X' });
    expect(out.cyclic.self).toBe('[Circular]');
    expect(out.when).toBe('1970-01-01T00:00:00.000Z');
  });
});

describe('createRedactor: bounded work on huge input', () => {
  const MiB = 1024 * 1024;
  const big = (filler: string, bytes: number) => filler.repeat(Math.ceil(bytes / filler.length));

  it('scrubs 8 MB and 50 MB token error descriptions: cut to MAX_SCRUBBED_TEXT_LENGTH with a marker, never a RangeError', () => {
    const r = createRedactor([FIXTURE_SECRETS.clientSecret]);
    for (const size of [8 * MiB, 50 * MiB]) {
      // `eyJ…` runs made the JWT pattern overflow the regexp stack (RangeError) on main.
      for (const filler of ['eyJ', 'AADSTS7000215: Invalid client secret provided. ', `x ${JWT} `]) {
        const description = `${FIXTURE_SECRETS.clientSecret} ${big(filler, size)}`;
        const out = r.text(description);
        expect(out.length).toBeLessThan(MAX_SCRUBBED_TEXT_LENGTH + 100);
        expect(out).toMatch(/…\[\d+ more characters not shown\]$/);
        expect(out).toContain(`${description.length - MAX_SCRUBBED_TEXT_LENGTH} more characters`);
        expect(out).not.toContain(FIXTURE_SECRETS.clientSecret);
        expect(out).not.toContain('eyJhdWQ');
      }
    }
  });

  it('turns a plugin failure with an 8 MB message into a bounded TokenError, not a RangeError', () => {
    const error = wrapPluginError(new Error(`invalid_client: ${big('eyJ', 8 * MiB)}`), {
      kind: 'token',
      name: 'msal',
      action: 'Getting a token',
    }) as TokenError;
    expect(error).toBeInstanceOf(TokenError);
    expect(error.message.length).toBeLessThan(MAX_SCRUBBED_TEXT_LENGTH + 200);
    expect((error.cause as Error).message.length).toBeLessThan(MAX_SCRUBBED_TEXT_LENGTH + 100);
  });

  it('leaves no part of a secret or token cut by the limit', () => {
    const secret = 'cut-secret-0123456789-abcdef';
    const r = createRedactor([secret]);
    for (const at of [4, 10, secret.length - 1]) {
      const pad = ' '.repeat(MAX_SCRUBBED_TEXT_LENGTH - at);
      const out = r.text(`${pad}${secret} and more text after it ${big('.', MAX_SCRUBBED_TEXT_LENGTH)}`);
      expect(out.slice(pad.length - 1, pad.length + 4), String(at)).toBe(' ***…');
    }
    const jwtCut = r.text(`${' '.repeat(MAX_SCRUBBED_TEXT_LENGTH - 40)}${JWT} ${big('.', 100)}`);
    expect(jwtCut).not.toContain('eyJ0eXAi');
  });

  it('finds JWTs anywhere in a run of token characters, with one pass over the text', () => {
    const r = createRedactor();
    // The old pattern's worst case (a JWT start at every `-`), at the size limit: no JWT, kept as it is.
    const text = big('eyJ-', MAX_SCRUBBED_TEXT_LENGTH);
    expect(r.text(text)).toBe(text);
    expect(r.text(`${big('eyJ-', 1000)}eyJabcd.efgh.ij ok`)).toBe('*** ok');
    expect(r.text('x-eyJabcd.efgh.ij y')).toBe('*** y');
    expect(r.text('eyJab.eyJabcd.efgh.x')).toBe('***');
    expect(r.text('eyJabcd.efg.hij eyJabcd')).toBe('eyJabcd.efg.hij eyJabcd');
  });

  it('copies at most MAX_LOGGED_ENTRIES entries of an array or object, and bounds the text of a whole log object', () => {
    const r = createRedactor();
    const items = Array.from({ length: 1_000_000 }, (_, i) => i);
    const copy = r.value({ items }) as { items: unknown[] };
    expect(copy.items).toHaveLength(MAX_LOGGED_ENTRIES + 1);
    expect(copy.items.at(-1)).toBe(`[… ${1_000_000 - MAX_LOGGED_ENTRIES} more]`);

    const wide = Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`k${i}`, i]));
    expect(Object.keys(r.value(wide) as object)).toHaveLength(MAX_LOGGED_ENTRIES + 1);

    const many = new Array<string>(40).fill(big('a', MiB));
    expect(JSON.stringify(r.value(many)).length).toBeLessThan(2 * MiB);
  });

  it('copies a deep object without recursion and survives getters that throw', () => {
    let deep: Record<string, unknown> = { leaf: true };
    for (let i = 0; i < 100_000; i++) deep = { next: deep };
    let copy = createRedactor().value(deep) as Record<string, unknown>;
    let depth = 0;
    while (typeof copy.next === 'object') {
      copy = copy.next as Record<string, unknown>;
      depth++;
    }
    expect(copy.next).toBe('[Object]');
    expect(depth).toBeLessThan(10);

    const hostile = {
      ok: 1,
      get broken(): never {
        throw new Error('getter failed');
      },
    };
    expect(createRedactor().value({ hostile })).toEqual({ hostile: { ok: 1, broken: '[Unreadable]' } });
  });
});
