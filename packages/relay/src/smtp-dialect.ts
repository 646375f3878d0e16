/**
 * The SMTP dialects old devices speak, on top of smtp-server (which already takes lower-case
 * commands, AUTH LOGIN with the classic `Username:`/`Password:` challenges, and bare LF line ends
 * in commands): `HELO`/`EHLO` without a domain, or with a name containing spaces, is greeted as the
 * client's address literal instead of refused with 501.
 */
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

/** The parts of smtp-server's SMTPConnection the greeting fix touches (internal, stable since 3.x). */
interface GreetingHandlers {
  remoteAddress?: string;
  handler_HELO?: (command: Buffer, callback: () => void) => void;
  handler_EHLO?: (command: Buffer, callback: () => void) => void;
}

/** `HELO`, `HELO my printer` → `HELO [192.0.2.7]`, `HELO my`; a proper greeting is left alone. */
export function lenientGreeting(command: Buffer, remoteAddress: string | undefined): Buffer {
  const [verb = '', ...names] = command.toString('binary').trim().split(/\s+/);
  if (names.length === 1) return command;
  const literal = remoteAddress?.includes(':')
    ? `[IPv6:${remoteAddress}]`
    : `[${remoteAddress ?? '0.0.0.0'}]`;
  return Buffer.from(`${verb} ${names[0] ?? literal}`, 'binary');
}

function relaxGreetings(connection: GreetingHandlers): void {
  for (const name of ['handler_HELO', 'handler_EHLO'] as const) {
    const original = connection[name];
    if (typeof original !== 'function') continue;
    connection[name] = function (this: GreetingHandlers, command, callback) {
      return original.call(this, lenientGreeting(command, this.remoteAddress), callback);
    };
  }
}

/** An SMTPServer whose sessions accept the greetings above. */
export class RelaySmtpServer extends SMTPServer {
  constructor(options: SMTPServerOptions) {
    super(options);
    const connections = this.connections;
    // Every session passes through `connections.add` as it is created, before its first command.
    const add = connections.add.bind(connections);
    connections.add = (connection) => {
      relaxGreetings(connection as unknown as GreetingHandlers);
      return add(connection);
    };
  }
}
