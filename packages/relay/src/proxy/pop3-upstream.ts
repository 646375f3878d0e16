/**
 * The relay's POP3 login to the mailbox server with the session's token: greeting, CAPA, STLS when
 * the session asks for it, then `AUTH XOAUTH2` (or OAUTHBEARER) with the payload on its own line after
 * the `+` (Exchange refuses the one-line form).
 */
import { decodeTokenClaims } from '@kalisto/core';
import {
  classifyMailError,
  oauthBearerInitialResponse,
  parseSaslErrorChallenge,
  type SaslErrorChallenge,
  saslErrorAcknowledgement,
  xoauth2InitialResponse,
} from '@kalisto/core/plugin';
import { upstreamMechanismError, upstreamProtocolError, upstreamTlsRequiredError } from './errors.js';
import type { UpstreamLoginInput } from './imap-upstream.js';
import type { UpstreamDialogue, UpstreamHandover } from './upstream-dialogue.js';

/** A logged-in POP3 connection. */
export interface Pop3Upstream extends UpstreamHandover {
  /** The server's CAPA lines before login (`undefined` when it has no CAPA). */
  capabilities: string[] | undefined;
}

/** The POP3 conversation of one login attempt. */
class Pop3Login {
  readonly #dialogue: UpstreamDialogue;
  readonly #input: UpstreamLoginInput;

  constructor(dialogue: UpstreamDialogue, input: UpstreamLoginInput) {
    this.#dialogue = dialogue;
    this.#input = input;
  }

  async run(): Promise<Pop3Upstream> {
    const { settings, config, signal, endpoint } = this.#input;
    const greeting = await this.#dialogue.line();
    if (/^-ERR\b/i.test(greeting)) throw this.#refusal(greeting, false);
    if (!/^\+OK\b/i.test(greeting)) throw upstreamProtocolError(endpoint, 'its greeting is not "+OK"');
    let capabilities = await this.#capa();
    if (!this.#dialogue.secure) {
      if (settings.starttls && has(capabilities, 'STLS')) {
        const reply = await this.#status('STLS');
        if (!reply.startsWith('+OK')) throw upstreamTlsRequiredError(endpoint);
        await this.#dialogue.startTls(settings, config, signal);
        capabilities = await this.#capa();
      }
      if (!this.#dialogue.secure && (settings.starttlsRequired || !config.allowInsecureAuth)) {
        throw upstreamTlsRequiredError(endpoint);
      }
    }
    await this.#authenticate(capabilities);
    return { ...this.#dialogue.handover(), capabilities };
  }

  /** CAPA's lines, or undefined when the server has no CAPA (RFC 1939 servers). */
  async #capa(): Promise<string[] | undefined> {
    const status = await this.#status('CAPA');
    if (!status.startsWith('+OK')) return undefined;
    const lines: string[] = [];
    for (;;) {
      const line = await this.#dialogue.line();
      if (line === '.') return lines;
      lines.push(line.startsWith('..') ? line.slice(1) : line);
    }
  }

  async #authenticate(capabilities: readonly string[] | undefined): Promise<void> {
    const { mechanisms, user, accessToken, settings, endpoint } = this.#input;
    const sasl = capabilities?.find((line) => /^SASL\b/i.test(line));
    const offered =
      sasl === undefined
        ? undefined
        : sasl
            .split(/\s+/)
            .slice(1)
            .map((m) => m.toUpperCase());
    // Without a SASL capability line the server may still take AUTH: try the first allowed mechanism.
    const mechanism = offered === undefined ? mechanisms[0] : mechanisms.find((m) => offered.includes(m));
    if (mechanism === undefined) throw upstreamMechanismError(endpoint, mechanisms, offered ?? []);
    const payload =
      mechanism === 'XOAUTH2'
        ? xoauth2InitialResponse({ user, accessToken })
        : oauthBearerInitialResponse({ user, accessToken, host: settings.host, port: settings.port });
    this.#dialogue.write(`AUTH ${mechanism}\r\n`);
    let sentPayload = false;
    let challenge: SaslErrorChallenge | undefined;
    for (;;) {
      const line = await this.#dialogue.line();
      if (/^\+OK\b/i.test(line)) return;
      if (/^-ERR\b/i.test(line)) throw this.#refusal(line, true, challenge);
      if (!line.startsWith('+')) throw upstreamProtocolError(endpoint, 'its reply to AUTH is not POP3');
      if (sentPayload) {
        // A refused token: the server explains in base64 JSON and waits for an acknowledgement.
        challenge = parseSaslErrorChallenge(line.slice(1));
        this.#dialogue.write(`${saslErrorAcknowledgement(mechanism)}\r\n`);
      } else {
        this.#dialogue.write(`${payload}\r\n`);
        sentPayload = true;
      }
    }
  }

  /** Sends a command without arguments; its status line. */
  async #status(command: string): Promise<string> {
    this.#dialogue.write(`${command}\r\n`);
    const line = await this.#dialogue.line();
    if (!/^(?:\+OK|-ERR)\b/i.test(line)) {
      throw upstreamProtocolError(this.#input.endpoint, `its reply to ${command} is not +OK or -ERR`);
    }
    return line.toUpperCase().startsWith('+OK') ? `+OK${line.slice(3)}` : line;
  }

  /** The server's refusal as core classifies it (with the token's claims for the hint). */
  #refusal(serverText: string, duringAuthentication: boolean, challenge?: SaslErrorChallenge): Error {
    const { endpoint, user, accessToken, config } = this.#input;
    const claims = decodeTokenClaims(accessToken);
    return classifyMailError({
      protocol: endpoint.protocol === 'pop3s' ? 'pop3s' : 'pop3',
      serverText,
      ...(claims === undefined ? {} : { claims }),
      ...(challenge === undefined ? {} : { challenge }),
      mailbox: user,
      tenant: config.oauth.tenant,
      cloud: config.oauth.cloud,
      duringAuthentication,
    });
  }
}

const has = (capabilities: readonly string[] | undefined, name: string) =>
  capabilities?.some((line) => line.split(/\s+/)[0]?.toUpperCase() === name) === true;

/** Logs in over `dialogue` (already connected); the connection is closed on any failure. */
export async function pop3UpstreamLogin(
  dialogue: UpstreamDialogue,
  input: UpstreamLoginInput,
): Promise<Pop3Upstream> {
  try {
    return await new Pop3Login(dialogue, input).run();
  } catch (error) {
    dialogue.close();
    throw error;
  }
}
