/**
 * The relay's IMAP login to the mailbox server with the session's token: greeting, STARTTLS when the
 * session asks for it, AUTHENTICATE XOAUTH2 (or OAUTHBEARER), then CAPABILITY and a NOOP pipelined —
 * the capabilities to tell the client, and a probe that catches Exchange's "authenticated but not
 * connected" before the client is told OK.
 */
import type { ProtocolSettings, ResolvedConfig } from '@kalisto/core';
import { decodeTokenClaims } from '@kalisto/core';
import {
  classifyMailError,
  oauthBearerInitialResponse,
  parseSaslErrorChallenge,
  type SaslErrorChallenge,
  type SaslMechanism,
  saslErrorAcknowledgement,
  xoauth2InitialResponse,
} from '@kalisto/core/plugin';
import {
  type UpstreamEndpoint,
  upstreamMechanismError,
  upstreamProtocolError,
  upstreamTlsRequiredError,
} from './errors.js';
import type { UpstreamDialogue, UpstreamHandover } from './upstream-dialogue.js';

/** A logged-in IMAP connection and the server's capabilities after login. */
export interface ImapUpstream extends UpstreamHandover {
  /** As the server spelled them, e.g. `IMAP4rev1 IDLE MOVE`. */
  capabilities: string[];
}

/** What the login needs besides the connection. */
export interface UpstreamLoginInput {
  endpoint: UpstreamEndpoint;
  settings: ProtocolSettings;
  config: Pick<ResolvedConfig, 'tlsCa' | 'allowInsecureAuth' | 'oauth'>;
  /** The SASL user: the mailbox (`mail.<p>.user`). */
  user: string;
  accessToken: string;
  /** OAuth2 mechanisms allowed, in order of preference. */
  mechanisms: readonly SaslMechanism[];
  signal: AbortSignal;
}

interface TaggedReply {
  status: 'OK' | 'NO' | 'BAD';
  code: string | undefined;
  text: string;
}

const TAGGED = /^(\S+) (OK|NO|BAD)(?: \[([^\]]*)\])? ?(.*)$/i;
const UNTAGGED_CAPABILITY = /^\* CAPABILITY (.*)$/i;
const CODE_CAPABILITY = /\[CAPABILITY ([^\]]*)\]/i;
const ADVERTISED: Readonly<Record<SaslMechanism, readonly string[]>> = {
  XOAUTH2: ['AUTH=XOAUTH2', 'AUTH=XOAUTH'],
  OAUTHBEARER: ['AUTH=OAUTHBEARER'],
};

/** Capability names from `a b c`. */
function capabilityList(text: string): string[] {
  return text
    .trim()
    .split(/\s+/)
    .filter((c) => c !== '');
}

const has = (capabilities: readonly string[], name: string) =>
  capabilities.some((c) => c.toUpperCase() === name);

/** The IMAP conversation of one login attempt. */
class ImapLogin {
  #tag = 0;
  readonly #dialogue: UpstreamDialogue;
  readonly #input: UpstreamLoginInput;

  constructor(dialogue: UpstreamDialogue, input: UpstreamLoginInput) {
    this.#dialogue = dialogue;
    this.#input = input;
  }

  async run(): Promise<ImapUpstream> {
    const { settings, config, signal, endpoint } = this.#input;
    let capabilities = await this.#greeting();
    if (!this.#dialogue.secure) {
      if (settings.starttls) {
        capabilities ??= await this.#capability();
        if (has(capabilities, 'STARTTLS')) {
          const reply = await this.#command('STARTTLS');
          if (reply.status !== 'OK') throw upstreamTlsRequiredError(endpoint);
          await this.#dialogue.startTls(settings, config, signal);
          capabilities = undefined;
        }
      }
      if (!this.#dialogue.secure && (settings.starttlsRequired || !config.allowInsecureAuth)) {
        throw upstreamTlsRequiredError(endpoint);
      }
    }
    capabilities ??= await this.#capability();
    await this.#authenticate(capabilities);
    const after = await this.#probe();
    return { ...this.#dialogue.handover(), capabilities: after };
  }

  /** The greeting's capabilities when it lists them. */
  async #greeting(): Promise<string[] | undefined> {
    const line = await this.#dialogue.line();
    if (/^\* OK\b/i.test(line)) {
      const listed = CODE_CAPABILITY.exec(line)?.[1];
      return listed === undefined ? undefined : capabilityList(listed);
    }
    if (/^\* BYE\b/i.test(line)) throw this.#refusal(line.slice(2), false);
    throw upstreamProtocolError(this.#input.endpoint, 'its greeting is not "* OK"');
  }

  async #capability(): Promise<string[]> {
    let capabilities: string[] = [];
    const reply = await this.#command('CAPABILITY', (line) => {
      const listed = UNTAGGED_CAPABILITY.exec(line)?.[1];
      if (listed !== undefined) capabilities = capabilityList(listed);
    });
    if (reply.status !== 'OK') throw upstreamProtocolError(this.#input.endpoint, 'CAPABILITY failed');
    return capabilities;
  }

  async #authenticate(capabilities: readonly string[]): Promise<void> {
    const { mechanisms, user, accessToken, settings, endpoint } = this.#input;
    const mechanism = mechanisms.find((m) => ADVERTISED[m].some((name) => has(capabilities, name)));
    if (mechanism === undefined) {
      const offered = capabilities.filter((c) => /^AUTH=/i.test(c)).map((c) => c.slice(5));
      throw upstreamMechanismError(endpoint, mechanisms, offered);
    }
    const payload =
      mechanism === 'XOAUTH2'
        ? xoauth2InitialResponse({ user, accessToken })
        : oauthBearerInitialResponse({ user, accessToken, host: settings.host, port: settings.port });
    const saslIr = has(capabilities, 'SASL-IR');
    const tag = this.#nextTag();
    this.#dialogue.write(
      saslIr ? `${tag} AUTHENTICATE ${mechanism} ${payload}\r\n` : `${tag} AUTHENTICATE ${mechanism}\r\n`,
    );
    let sentPayload = saslIr;
    let challenge: SaslErrorChallenge | undefined;
    for (;;) {
      const line = await this.#dialogue.line();
      if (line.startsWith('+')) {
        if (sentPayload) {
          // A refused token: the server explains in base64 JSON and waits for an acknowledgement.
          challenge = parseSaslErrorChallenge(line.slice(1));
          this.#dialogue.write(`${saslErrorAcknowledgement(mechanism)}\r\n`);
        } else {
          this.#dialogue.write(`${payload}\r\n`);
          sentPayload = true;
        }
        continue;
      }
      if (/^\* BYE\b/i.test(line)) throw this.#refusal(line.slice(2), true);
      const reply = this.#tagged(tag, line);
      if (reply === undefined) continue;
      if (reply.status === 'OK') return;
      throw this.#refusal(`${reply.status} ${reply.text}`, true, reply.code, challenge);
    }
  }

  /**
   * CAPABILITY and NOOP in one round trip. Exchange accepts a token for a mailbox the identity may
   * not open and then answers every command `BAD User is authenticated but not connected.`: the NOOP
   * finds that out before the client is told it is logged in.
   */
  async #probe(): Promise<string[]> {
    const capabilityTag = this.#nextTag();
    const noopTag = this.#nextTag();
    this.#dialogue.write(`${capabilityTag} CAPABILITY\r\n${noopTag} NOOP\r\n`);
    let capabilities: string[] | undefined;
    for (;;) {
      const line = await this.#dialogue.line();
      const listed = UNTAGGED_CAPABILITY.exec(line)?.[1];
      if (listed !== undefined) capabilities = capabilityList(listed);
      if (/^\* BYE\b/i.test(line)) throw this.#refusal(line.slice(2), false);
      const capabilityReply = this.#tagged(capabilityTag, line);
      if (capabilityReply !== undefined && capabilityReply.status !== 'OK') {
        throw this.#refusal(`${capabilityReply.status} ${capabilityReply.text}`, false, capabilityReply.code);
      }
      const noopReply = this.#tagged(noopTag, line);
      if (noopReply === undefined) continue;
      if (noopReply.status !== 'OK') {
        throw this.#refusal(`${noopReply.status} ${noopReply.text}`, false, noopReply.code);
      }
      return capabilities ?? [];
    }
  }

  /** Sends a command without arguments and reads to its tagged reply; untagged lines go to `untagged`. */
  async #command(name: string, untagged: (line: string) => void = () => {}): Promise<TaggedReply> {
    const tag = this.#nextTag();
    this.#dialogue.write(`${tag} ${name}\r\n`);
    for (;;) {
      const line = await this.#dialogue.line();
      const reply = this.#tagged(tag, line);
      if (reply !== undefined) return reply;
      if (/^\* BYE\b/i.test(line)) throw this.#refusal(line.slice(2), false);
      untagged(line);
    }
  }

  #tagged(tag: string, line: string): TaggedReply | undefined {
    const match = TAGGED.exec(line);
    if (match === null || match[1] !== tag) return undefined;
    return {
      status: (match[2] as string).toUpperCase() as TaggedReply['status'],
      code: match[3],
      text: match[4] ?? '',
    };
  }

  #nextTag(): string {
    this.#tag += 1;
    return `K${this.#tag}`;
  }

  /** The server's refusal as core classifies it (with the token's claims for the hint). */
  #refusal(
    serverText: string,
    duringAuthentication: boolean,
    responseCode?: string,
    challenge?: SaslErrorChallenge,
  ): Error {
    const { endpoint, user, accessToken, config } = this.#input;
    const claims = decodeTokenClaims(accessToken);
    return classifyMailError({
      protocol: endpoint.protocol === 'imaps' ? 'imaps' : 'imap',
      serverText,
      ...(responseCode === undefined ? {} : { responseCode: responseCode.split(' ')[0] }),
      ...(claims === undefined ? {} : { claims }),
      ...(challenge === undefined ? {} : { challenge }),
      mailbox: user,
      tenant: config.oauth.tenant,
      cloud: config.oauth.cloud,
      duringAuthentication,
    });
  }
}

/** Logs in over `dialogue` (already connected); the connection is closed on any failure. */
export async function imapUpstreamLogin(
  dialogue: UpstreamDialogue,
  input: UpstreamLoginInput,
): Promise<ImapUpstream> {
  try {
    return await new ImapLogin(dialogue, input).run();
  } catch (error) {
    dialogue.close();
    throw error;
  }
}
