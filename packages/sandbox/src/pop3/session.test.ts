import { describe, expect, it } from 'vitest';
import type { MailAuthResult, MailAuthVerifier } from '../contracts.js';
import { createMailStore } from '../mail-store.js';
import { type Pop3Behaviour, resolvePop3Behaviour } from './options.js';
import { POP3_REPLIES as R } from './replies.js';
import { Pop3Session, type Pop3Transport } from './session.js';

const b64 = (text: string) => Buffer.from(text).toString('base64');
const xoauth2 = (user: string, token: string) => b64(`user=${user}\x01auth=Bearer ${token}\x01\x01`);
const bearer = (user: string, token: string) => b64(`n,a=${user},\x01auth=Bearer ${token}\x01\x01`);

/** Accepts the token "good" for alice; "later" expires at t=1000; anything else is refused. */
const verifier: MailAuthVerifier & { revoked: Set<string> } = {
  revoked: new Set(),
  isRevoked(id) {
    return this.revoked.has(id);
  },
  verify({ token }): MailAuthResult {
    if (token !== 'good' && token !== 'later') return { ok: false, reason: 'expired', detail: 'test' };
    return {
      ok: true,
      mailbox: 'alice@contoso.com',
      principal: 'alice@contoso.com',
      sendAs: [],
      expiresAt: token === 'later' ? 1_000 : Number.MAX_SAFE_INTEGER,
      tokenId: token,
    };
  },
};

function harness(options: { behaviour?: Pop3Behaviour; secure?: boolean; now?: () => number } = {}) {
  const store = createMailStore({ mailboxes: ['alice@contoso.com'] });
  const inbox = store.mailbox('alice@contoso.com')!.folder('Inbox')!;
  inbox.append(Buffer.from('Subject: one\r\n\r\n.dot line\r\n'));
  inbox.append(Buffer.from('Subject: two\r\n\r\nbody\r\n'));
  let output = '';
  const transport: Pop3Transport & { closed: boolean; tlsStarted: boolean; secure: boolean } = {
    secure: options.secure ?? true,
    closed: false,
    tlsStarted: false,
    write(data) {
      output += data.toString('latin1');
    },
    close() {
      this.closed = true;
    },
    startTls() {
      this.tlsStarted = true;
    },
  };
  const session = new Pop3Session(transport, {
    store,
    auth: verifier,
    behaviour: resolvePop3Behaviour(options.behaviour),
    now: options.now ?? (() => 0),
  });
  session.start();
  output = '';
  /** Sends lines and returns what the server answered to them. */
  const send = (...lines: string[]): string => {
    output = '';
    for (const line of lines) session.handleLine(Buffer.from(line, 'latin1'));
    return output;
  };
  return { session, transport, inbox, send };
}

const signedIn = (behaviour?: Pop3Behaviour) => {
  const h = harness({ behaviour });
  expect(h.send('AUTH XOAUTH2', xoauth2('alice@contoso.com', 'good'))).toBe(`+ \r\n${R.authenticated}\r\n`);
  return h;
};

describe('Pop3Session authorization', () => {
  it('advertises Exchange-like capabilities, SASL only once the connection is secure', () => {
    expect(harness({ secure: false }).send('CAPA')).toBe(
      '+OK\r\nTOP\r\nUIDL\r\nPIPELINING\r\nRESP-CODES\r\nSTLS\r\n.\r\n',
    );
    expect(harness().send('CAPA')).toBe(
      '+OK\r\nTOP\r\nUIDL\r\nSASL XOAUTH2\r\nUSER\r\nPIPELINING\r\nRESP-CODES\r\n.\r\n',
    );
    expect(harness({ behaviour: { oauthBearer: true } }).send('CAPA')).toContain(
      'SASL XOAUTH2 OAUTHBEARER\r\n',
    );
  });

  it('starts TLS on STLS and refuses authentication before it', () => {
    const h = harness({ secure: false });
    expect(h.send('AUTH XOAUTH2')).toBe(`${R.tlsRequired}\r\n`);
    expect(h.send('USER alice')).toBe(`${R.tlsRequired}\r\n`);
    expect(h.send('STLS')).toBe(`${R.beginTls}\r\n`);
    expect(h.transport.tlsStarted).toBe(true);
    expect(harness().send('STLS')).toBe(`${R.wrongState}\r\n`);
  });

  it('authenticates with the two-line XOAUTH2 exchange and refuses a bad token with Exchange text', () => {
    signedIn();
    expect(harness().send('AUTH XOAUTH2', xoauth2('alice@contoso.com', 'bad'))).toBe(
      `+ \r\n${R.authFailed}\r\n`,
    );
    expect(harness().send('AUTH XOAUTH2', 'not base64!')).toBe(`+ \r\n${R.authFailed}\r\n`);
    expect(harness().send('AUTH XOAUTH2', '*')).toBe(`+ \r\n${R.authAborted}\r\n`);
  });

  it('refuses the one-line SASL-IR form like Exchange and closes, unless allowed', () => {
    const h = harness();
    expect(h.send(`AUTH XOAUTH2 ${xoauth2('alice@contoso.com', 'good')}`, 'STAT')).toBe(
      `${R.saslIrRefused}\r\n`,
    );
    expect(h.transport.closed).toBe(true);
    const allowed = harness({ behaviour: { saslIr: true } });
    expect(allowed.send(`AUTH XOAUTH2 ${xoauth2('alice@contoso.com', 'good')}`)).toBe(
      `${R.authenticated}\r\n`,
    );
  });

  it('accepts OAUTHBEARER only when enabled, and fails it with the RFC 7628 challenge', () => {
    expect(harness().send('AUTH OAUTHBEARER')).toBe(`${R.unknownMechanism}\r\n`);
    const enabled = { oauthBearer: true };
    expect(
      harness({ behaviour: enabled }).send(`AUTH OAUTHBEARER ${bearer('alice@contoso.com', 'good')}`),
    ).toBe(`${R.authenticated}\r\n`);
    const refused = harness({ behaviour: enabled }).send(`AUTH OAUTHBEARER ${bearer('a', 'bad')}`, 'AQ==');
    expect(refused).toMatch(/^\+ [A-Za-z0-9+/=]+\r\n-ERR Authentication failure/);
  });

  it('takes USER but always refuses PASS: Basic authentication is off', () => {
    expect(harness().send('USER alice@contoso.com', 'PASS secret')).toBe(`+OK\r\n${R.logonFailure}\r\n`);
  });

  it('refuses transaction commands before authentication and hangs up after too many errors', () => {
    const h = harness({ behaviour: { maxBadCommands: 3 } });
    expect(h.send('STAT', 'RETR 1')).toBe(`${R.wrongState}\r\n${R.wrongState}\r\n`);
    expect(h.send('\x00\xff garbage')).toBe(`${R.tooManyErrors}\r\n`);
    expect(h.transport.closed).toBe(true);
    expect(h.send('CAPA')).toBe('');
  });
});

describe('Pop3Session transaction', () => {
  it('answers STAT, LIST, UIDL, TOP and RETR (byte-stuffed)', () => {
    const h = signedIn();
    const [one, two] = h.inbox.messages;
    const total = one!.raw.length + two!.raw.length;
    expect(h.send('STAT')).toBe(`+OK 2 ${total}\r\n`);
    expect(h.send('LIST')).toBe(
      `+OK 2 messages (${total} octets)\r\n1 ${one!.raw.length}\r\n2 ${two!.raw.length}\r\n.\r\n`,
    );
    expect(h.send('LIST 2')).toBe(`+OK 2 ${two!.raw.length}\r\n`);
    const v = h.inbox.uidValidity;
    expect(h.send('UIDL')).toBe(`+OK\r\n1 ${v}.${one!.uid}\r\n2 ${v}.${two!.uid}\r\n.\r\n`);
    expect(h.send('UIDL 1')).toBe(`+OK 1 ${v}.${one!.uid}\r\n`);
    expect(h.send('TOP 1 0')).toBe('+OK\r\nSubject: one\r\n\r\n.\r\n');
    expect(h.send('RETR 1')).toBe(`+OK ${one!.raw.length} octets\r\nSubject: one\r\n\r\n..dot line\r\n.\r\n`);
  });

  it('marks with DELE, forgets with RSET and expunges on QUIT', () => {
    const h = signedIn();
    expect(h.send('DELE 1', 'RETR 1', 'LIST 1', 'STAT')).toBe(
      `+OK\r\n${R.messageDeleted}\r\n${R.messageDeleted}\r\n+OK 1 ${h.inbox.messages[1]!.raw.length}\r\n`,
    );
    expect(h.send('RSET', 'STAT')).toMatch(/^\+OK\r\n\+OK 2 /);
    expect(h.send('DELE 2', 'QUIT')).toBe(`+OK\r\n${R.signOff}\r\n`);
    expect(h.transport.closed).toBe(true);
    expect(h.inbox.messages.map((m) => m.raw.toString())).toEqual(['Subject: one\r\n\r\n.dot line\r\n']);
  });

  it('keeps messages when the connection ends without QUIT', () => {
    const h = signedIn();
    h.send('DELE 1');
    h.session.end();
    expect(h.inbox.messages).toHaveLength(2);
  });

  it('refuses bad arguments and unknown numbers', () => {
    const h = signedIn();
    expect(h.send('RETR 9', 'RETR x', 'TOP 1', 'DELE', 'STAT 1', 'AUTH XOAUTH2', 'STLS')).toBe(
      [
        R.noSuchMessage,
        R.syntaxError,
        R.syntaxError,
        R.syntaxError,
        R.syntaxError,
        R.wrongState,
        R.wrongState,
      ]
        .map((line) => `${line}\r\n`)
        .join(''),
    );
  });

  it('ends the session once the token expires or is revoked, without expunging', () => {
    let now = 0;
    const h = harness({ now: () => now });
    h.send('AUTH XOAUTH2', xoauth2('alice@contoso.com', 'later'));
    expect(h.send('DELE 1', 'NOOP')).toBe('+OK\r\n+OK\r\n');
    now = 1_000;
    expect(h.send('QUIT')).toBe(`${R.tokenExpired}\r\n`);
    expect(h.transport.closed).toBe(true);
    expect(h.inbox.messages).toHaveLength(2);

    const revoked = signedIn();
    verifier.revoked.add('good');
    try {
      expect(revoked.send('STAT')).toBe(`${R.tokenRevoked}\r\n`);
    } finally {
      verifier.revoked.clear();
    }
  });

  it('treats a line too long and an idle timeout as fatal', () => {
    const h = harness();
    h.session.lineTooLong();
    expect(h.transport.closed).toBe(true);
    const idle = harness();
    idle.session.timedOut();
    expect(idle.transport.closed).toBe(true);
  });
});
