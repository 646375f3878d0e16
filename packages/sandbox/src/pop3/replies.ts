/**
 * What the POP3 server says, as Exchange Online says it where its text is known (greeting, CAPA,
 * authentication, the SASL-IR protocol error, sign-off); RFC 1939/2595 wording elsewhere.
 */

/** Exchange appends its server's FQDN, UTF-16LE and base64-encoded, to the greeting. */
const SERVER_TAG = Buffer.from('KALISTO-SANDBOX.sandbox.invalid', 'utf16le').toString('base64');

export const POP3_REPLIES = {
  greeting: `+OK The Microsoft Exchange POP3 service is ready. [${SERVER_TAG}]`,
  ok: '+OK',
  capabilities: '+OK',
  beginTls: '+OK Begin TLS negotiation',
  continuation: '+ ',
  authenticated: '+OK User successfully authenticated.',
  authFailed: '-ERR Authentication failure: unknown user name or bad password.',
  /** Exchange's reply to `AUTH XOAUTH2 <initial response>` on one line; it then closes. */
  saslIrRefused: '-ERR Protocol error. Connection is closed. 10',
  authAborted: '-ERR Authentication canceled.',
  unknownMechanism: '-ERR Unrecognized authentication type.',
  /** Basic authentication is off in Exchange Online: USER is taken, PASS always fails. */
  logonFailure: '-ERR Logon failure: unknown user name or bad password.',
  tlsRequired: '-ERR Command is not valid in this state. Issue STLS first.',
  wrongState: '-ERR Command is not valid in this state.',
  unknownCommand: '-ERR Unknown command.',
  syntaxError: '-ERR Protocol error.',
  noSuchMessage: '-ERR The specified message is out of range.',
  messageDeleted: '-ERR The message was already deleted.',
  tokenExpired: '-ERR [SYS/PERM] Session invalidated - AccessTokenExpired',
  tokenRevoked: '-ERR [SYS/PERM] Session invalidated - TokenRevoked',
  lineTooLong: '-ERR Line too long. Connection is closed.',
  tooManyErrors: '-ERR Too many errors. Connection is closed.',
  idleTimeout: '-ERR Connection timed out. Connection is closed.',
  signOff: '+OK Microsoft Exchange Server POP3 server signing off.',
} as const;
