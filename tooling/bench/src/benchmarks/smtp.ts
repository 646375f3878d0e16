/** SMTP submission through a pool: session.transport('smtp') against a raw nodemailer pool with the same token. */
import { createTransport, type Transporter } from 'nodemailer';
import type { Benchmark } from '../context.js';
import { compare, timeMs } from '../harness.js';
import { benchKalisto, benchMessage, sandboxToken } from '../sandbox-clients.js';

const MESSAGES = 100;
const POOL = { maxConnections: 3, maxMessages: 100 };

export const smtpPool: Benchmark = {
  name: 'smtp',
  title: `SMTP (STARTTLS) pool: ${MESSAGES} concurrent messages, session.transport vs raw nodemailer`,
  async run(context) {
    const sandbox = await context.sandbox();
    const accessToken = await sandboxToken(sandbox);
    const kalisto = benchKalisto();
    const session = kalisto.session({
      ...sandbox.properties,
      'mail.smtp.pool.enable': 'true',
      'mail.smtp.pool.maxConnections': String(POOL.maxConnections),
      'mail.smtp.pool.maxMessages': String(POOL.maxMessages),
    });
    const raw = createTransport({
      ...sandbox.endpoints.smtp,
      secure: false,
      requireTLS: true,
      pool: true,
      ...POOL,
      auth: { type: 'OAuth2', user: sandbox.user, accessToken },
      tls: { ca: [sandbox.ca] },
    });
    const burst = (transport: Pick<Transporter, 'sendMail'>) =>
      timeMs(() =>
        Promise.all(Array.from({ length: MESSAGES }, (_, i) => transport.sendMail(benchMessage(sandbox, i)))),
      );
    try {
      const ours = (await session.transport('smtp')) as Transporter;
      return await compare({
        benchmark: `smtp pool: ${MESSAGES} messages`,
        unit: 'ms',
        rounds: 9,
        cpu: true,
        target: { maxRatio: 1.03, text: '≤3% overhead' },
        raw: { name: `nodemailer pool (${POOL.maxConnections} connections)`, round: () => burst(raw) },
        contenders: [{ name: "session.transport('smtp') pool", round: () => burst(ours) }],
      });
    } finally {
      raw.close();
      await kalisto.close();
      await sandbox.request({ op: 'clear', mailbox: sandbox.otherUser });
    }
  },
};
