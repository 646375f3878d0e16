/**
 * The relay's spool across a SIGKILL: a relay process (relay-child.ts) takes mail from SMTP clients
 * while its upstream is down, so everything it accepts stays spooled; it is SIGKILLed in the middle
 * of the sends. A new relay process on the same spool, with upstream back, delivers exactly the
 * accepted messages — each once, counted by Message-ID in the sandbox's store.
 */
import { once } from 'node:events';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { openDeliveryQueue } from '@kalisto/relay';
import type { Sandbox } from '@kalisto/sandbox';
import { startNodeScript } from '@kalisto/test-support';
import { Findings, type Scenario, type ScenarioContext, scenarioOf } from '../scenario.js';
import { scenarioSandbox } from '../support/sandbox.js';
import { waitUntil } from '../support/wait.js';

const CHILD = fileURLToPath(new URL('./relay-child.ts', import.meta.url));
const MESSAGES = 60;
const LANES = 8;
/** The relay is killed once this many messages were accepted (250), with the other lanes mid-send. */
const KILL_AFTER = 30;

/** A forwarder to the sandbox's SMTP server that can play "down" (every connection closed at once). */
async function startSwitchableForwarder(context: ScenarioContext, host: string, port: number) {
  let down = true;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    if (down) {
      client.destroy();
      return;
    }
    const upstream = connect(port, host);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
      socket.once('close', () => sockets.delete(socket));
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  context.defer(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return {
    port: (server.address() as AddressInfo).port,
    up: () => {
      down = false;
    },
  };
}

interface RelayProcess {
  readonly port: number;
  kill(signal: NodeJS.Signals): Promise<number | null>;
}

/** Starts a relay process with `properties`; resolves once it listens. */
async function startRelay(
  context: ScenarioContext,
  properties: Record<string, string>,
): Promise<RelayProcess> {
  const { child, stderr } = startNodeScript(CHILD, [JSON.stringify(properties)]);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  context.defer(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      const event = line.startsWith('{') ? (JSON.parse(line) as { event: string; port?: number }) : undefined;
      if (event?.event === 'listening') resolve(event.port as number);
    });
    void exited.then((code) => reject(new Error(`the relay exited with ${code}: ${stderr()}`)));
  });
  return {
    port,
    kill(signal) {
      child.kill(signal);
      return exited;
    },
  };
}

/**
 * One SMTP submission on a raw socket (what a device does): resolves true when the relay answered
 * the message with 250, false when it refused it or the connection ended first.
 */
function submit(port: number, from: string, to: string, raw: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const steps = [`EHLO device`, `MAIL FROM:<${from}>`, `RCPT TO:<${to}>`, 'DATA', `${raw}\r\n.`, 'QUIT'];
    let step = -1;
    let buffer = '';
    let accepted = false;
    const finish = () => {
      socket.destroy();
      resolve(accepted);
    };
    socket.on('error', finish);
    socket.on('close', finish);
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      for (let end = buffer.indexOf('\r\n'); end !== -1; end = buffer.indexOf('\r\n')) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (/^\d{3}-/.test(line)) continue; // a multi-line reply goes on
        const code = Number(line.slice(0, 3));
        if (step === 4) accepted = code === 250;
        const expected = step === 3 ? 354 : step === 5 ? 221 : step === -1 ? 220 : 250;
        if (code !== expected) return finish();
        step += 1;
        if (step >= steps.length) return finish();
        socket.write(`${steps[step]}\r\n`);
      }
    });
  });
}

const messageId = (index: number) => `<relay-spool-${index}@reliability.test>`;

function message(index: number, from: string, to: string): string {
  return `From: ${from}\r\nTo: ${to}\r\nSubject: spooled ${index}\r\nMessage-ID: ${messageId(index)}\r\n\r\nMessage ${index}, queued while upstream was down.`;
}

/** How many times each of our Message-IDs is in `address`'s Inbox. */
function deliveredCounts(sandbox: Sandbox, address: string): Map<number, number> {
  const counts = new Map<number, number>();
  for (const stored of sandbox.store.mailbox(address)?.folder('Inbox')?.messages ?? []) {
    const index = /^Message-ID: <relay-spool-(\d+)@reliability\.test>/im.exec(
      stored.raw.toString('latin1'),
    )?.[1];
    if (index !== undefined) counts.set(Number(index), (counts.get(Number(index)) ?? 0) + 1);
  }
  return counts;
}

async function sigkillSpooled(context: ScenarioContext): Promise<Findings> {
  const findings = new Findings();
  const sandbox = await scenarioSandbox(context);
  const from = sandbox.fixtures.users.adele.upn;
  const to = sandbox.fixtures.users.megan.upn;
  const upstream = await startSwitchableForwarder(
    context,
    sandbox.endpoints.smtp.host,
    sandbox.endpoints.smtp.port,
  );
  const properties = {
    ...sandbox.properties,
    'mail.smtp.port': String(upstream.port),
    'mail.smtp.connectiontimeout': '3000',
    'kalisto.relay.listener.devices.protocol': 'smtp',
    'kalisto.relay.listener.devices.port': '0',
    'kalisto.relay.listener.devices.mode': 'trusted-networks',
    'kalisto.relay.listener.devices.tls': 'none',
    'kalisto.relay.listener.devices.trustedNetworks': '127.0.0.0/8',
    'kalisto.relay.listener.devices.allowedSenders': from,
    'kalisto.relay.queue': 'spool',
    'kalisto.relay.queue.path': `${await context.tmpDir()}/spool`,
    'kalisto.relay.queue.poll': '50',
    'kalisto.relay.queue.backoff.base': '100',
    'kalisto.relay.queue.backoff.max': '500',
    'kalisto.relay.queue.maxAttempts': '1000',
  };

  const first = await startRelay(context, properties);
  const accepted = new Set<number>();
  const sending = new Set<number>();
  let next = 0;
  let killed: Promise<number | null> | undefined;
  let inFlightAtKill = 0;
  const lane = async () => {
    while (next < MESSAGES && killed === undefined) {
      const index = next++;
      sending.add(index);
      const ok = await submit(first.port, from, to, message(index, from, to));
      sending.delete(index);
      if (ok) accepted.add(index);
      if (accepted.size >= KILL_AFTER && killed === undefined) {
        inFlightAtKill = sending.size;
        killed = first.kill('SIGKILL');
      }
    }
  };
  await Promise.all(Array.from({ length: LANES }, lane));
  const attempted = next;
  findings.check((await killed) === null, 'the first relay was SIGKILLed (no exit code)');
  findings.figure(
    `${accepted.size} of ${attempted} submissions answered 250 before the kill; ${inFlightAtKill} were mid-send`,
  );
  findings.check(
    deliveredCounts(sandbox, to).size === 0,
    'nothing reached the sandbox while upstream was down: every accepted message was only in the spool',
  );

  upstream.up();
  const second = await startRelay(context, properties);
  const allThere = await waitUntil(
    () => [...accepted].every((i) => deliveredCounts(sandbox, to).has(i)),
    60_000,
  );
  findings.check(allThere, `the restarted relay delivered every accepted message (${accepted.size})`);
  const queue = await openDeliveryQueue({ kind: 'spool', path: properties['kalisto.relay.queue.path'] });
  const emptied = await waitUntil(async () => (await queue.list()).length === 0, 30_000);
  await queue.close();
  findings.check(emptied, 'the spool is empty afterwards: no pending message, no dead letter');

  const counts = deliveredCounts(sandbox, to);
  const twice = [...counts.entries()].filter(([, n]) => n > 1).map(([i]) => i);
  findings.check(
    twice.length === 0,
    `no message delivered twice${twice.length ? ` (${twice.join(', ')} were)` : ''}`,
  );
  const missing = [...accepted].filter((i) => counts.get(i) !== 1);
  findings.check(
    missing.length === 0,
    `each accepted message delivered exactly once${missing.length ? `; not: ${missing.join(', ')}` : ''}`,
  );
  // A message whose 250 the kill cut off may have been stored already: delivered, never lost. Only
  // those mid-send at the kill can be such.
  const unannounced = [...counts.keys()].filter((i) => !accepted.has(i));
  findings.check(
    unannounced.length <= inFlightAtKill,
    `delivered without a 250 to the client: ${unannounced.length} (at most the ${inFlightAtKill} mid-send at the kill)`,
  );
  findings.check((await second.kill('SIGTERM')) === 0, 'the restarted relay stops on SIGTERM with exit 0');
  return findings;
}

export const scenarios: readonly Scenario[] = [
  scenarioOf(
    {
      id: 'sigkill-spooled',
      title: 'Relay SIGKILLed with spooled mail',
      injected: `${LANES} SMTP clients send ${MESSAGES} messages through a relay (kalisto.relay.queue=spool) whose upstream is down; the relay is SIGKILLed after ${KILL_AFTER} were accepted, mid-send; upstream comes back and a new relay process starts on the same spool`,
      expected:
        'every message answered 250 is delivered exactly once after the restart (by Message-ID in the sandbox), none twice, none before; the spool ends empty; only a message cut off mid-send may arrive without its 250',
      deadlineMs: 180_000,
    },
    sigkillSpooled,
  ),
];
