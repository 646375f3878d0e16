/**
 * Real Postfix submission (tooling/interop-servers, STARTTLS, SASL through Dovecot): 500 messages
 * over a pool of 3 connections — session.transport('smtp'), raw nodemailer and Python's smtplib on 3
 * connections (a thread each). Each round waits, untimed, until Postfix has delivered every message
 * into the recipient's maildir, so that no round's deliveries load the next.
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createTransport, type Transporter } from 'nodemailer';
import type { Benchmark } from '../context.js';
import { type Contender, compare, timeMs } from '../harness.js';
import { startPythonPeer } from '../python-peer.js';
import { benchKalisto } from '../sandbox-clients.js';

const MESSAGES = 500;
const CONNECTIONS = 3;
/** Connections stay open across rounds (the pool never recycles one here). */
const MAX_MESSAGES = 100_000;
const DELIVERY_TIMEOUT_MS = 120_000;
const TEXT = `Hello,\r\n\r\n${'This line is here to give the message a realistic size. '.repeat(30)}\r\n\r\nRegards\r\n`;

export const postfixSmtp: Benchmark = {
  name: 'postfix-smtp',
  title: `Postfix submission: ${MESSAGES} messages over ${CONNECTIONS} pooled connections, session.transport vs raw nodemailer vs smtplib`,
  async run(context) {
    const sandbox = await context.sandbox();
    const servers = await context.interop();
    const { reader, recipient } = servers.fixtures;
    const delivered = join(servers.dovecot.mailRoot, recipient.upn, 'new');
    const accessToken = await servers.token(reader.upn);
    const message = (i: number) => ({
      from: reader.upn,
      to: recipient.upn,
      subject: `Benchmark message ${i}`,
      text: TEXT,
    });

    /** Waits until Postfix has delivered `count` messages, then empties the maildir (not timed). */
    const awaitDelivery = async (count: number) => {
      const deadline = Date.now() + DELIVERY_TIMEOUT_MS;
      while ((await readdir(delivered).catch(() => [])).length < count) {
        if (Date.now() > deadline) throw new Error(`Postfix delivered fewer than ${count} messages in time`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await rm(delivered, { recursive: true, force: true });
    };
    const round = async (send: () => Promise<unknown>) => {
      const ms = await timeMs(send);
      await awaitDelivery(MESSAGES);
      return ms;
    };
    const burst = (transport: Pick<Transporter, 'sendMail'>) =>
      round(() => Promise.all(Array.from({ length: MESSAGES }, (_, i) => transport.sendMail(message(i)))));

    const kalisto = benchKalisto();
    const session = kalisto.session(
      servers.properties('smtp', servers.postfix.submission, false, {
        'mail.smtp.pool.enable': 'true',
        'mail.smtp.pool.maxConnections': String(CONNECTIONS),
        'mail.smtp.pool.maxMessages': String(MAX_MESSAGES),
      }),
    );
    const raw = createTransport({
      host: '127.0.0.1',
      port: servers.postfix.submission,
      secure: false,
      requireTLS: true,
      pool: true,
      maxConnections: CONNECTIONS,
      maxMessages: MAX_MESSAGES,
      auth: { type: 'OAuth2', user: reader.upn, accessToken },
      tls: { ca: [sandbox.ca] },
    });
    const python = startPythonPeer();
    const pythonName = `Python smtplib (${python?.version ?? 'absent'}), ${CONNECTIONS} connections`;
    const peers: Contender[] =
      python === undefined
        ? []
        : [
            {
              name: pythonName,
              info: true,
              external: true,
              async round() {
                const { ms } = await python.request<{ ms: number }>({
                  op: 'smtp-send',
                  count: MESSAGES,
                  from: reader.upn,
                  to: recipient.upn,
                  subject: 'Benchmark message',
                  text: TEXT,
                });
                await awaitDelivery(MESSAGES);
                return ms;
              },
            },
          ];
    try {
      await python?.request({
        op: 'smtp-open',
        host: '127.0.0.1',
        port: servers.postfix.submission,
        ca: sandbox.ca,
        user: reader.upn,
        token: accessToken,
        connections: CONNECTIONS,
      });
      const ours = (await session.transport('smtp')) as Transporter;
      const rows = await compare({
        benchmark: `postfix smtp: ${MESSAGES} messages, ${CONNECTIONS} connections`,
        unit: 'ms',
        rounds: 5,
        cpu: true,
        target: { maxRatio: 1.03, text: '≤3% overhead' },
        raw: { name: `nodemailer pool (${CONNECTIONS} connections)`, round: () => burst(raw) },
        contenders: [{ name: "session.transport('smtp') pool", round: () => burst(ours) }, ...peers],
      });
      for (const row of rows)
        if (row.unit === 'ms') row.note = `${(MESSAGES / (row.median / 1e3)).toFixed(0)} msg/s`;
      return rows;
    } finally {
      await python?.request({ op: 'smtp-close' }).catch(() => {});
      await python?.stop();
      raw.close();
      await kalisto.close();
    }
  },
};
