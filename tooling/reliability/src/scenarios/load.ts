/**
 * Load on one session (one token): 500 concurrent IMAP sessions, 100 concurrent SMTP sends, and a
 * soak of connect/fetch/send loops (quick: 60 s, full: 10 minutes) with the client's RSS followed.
 */
import { Findings, type Mode, type Scenario, type ScenarioContext, scenarioOf } from '../scenario.js';
import { type ClientEvent, runClient } from '../support/client-process.js';
import { scenarioSandbox } from '../support/sandbox.js';
import { identityRequests } from '../support/tokens.js';

const SOAK_MS: Record<Mode, number> = { quick: 60_000, full: 600_000 };
/** Retained RSS growth allowed over the soak (end − start, after full collections), MB. */
const SOAK_BOUND_MB = 32;

const outcome = (counts: unknown) =>
  Object.entries((counts ?? {}) as Record<string, number>)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');

async function imapSessions(context: ScenarioContext): Promise<Findings> {
  const sandbox = await scenarioSandbox(context);
  const before = identityRequests(sandbox);
  const run = await runClient(
    context,
    'load-imap',
    { properties: sandbox.properties, count: 500 },
    { deadlineMs: 150_000, rssCapMb: 2_048 },
  );
  const findings = new Findings();
  const result = run.result;
  const opened = (result?.opened ?? {}) as Record<string, number>;
  findings.check(
    opened.ok === 500,
    `opened and listed: ${outcome(opened) || JSON.stringify(result?.error ?? run.killed)}`,
  );
  findings.fact(`logged out: ${outcome(result?.closed)}`);
  const requests = identityRequests(sandbox) - before;
  findings.check(requests === 1, `${requests} token request(s) for 500 sessions`);
  findings.figure(`client RSS ${run.baselineMb?.toFixed(0)} → peak ${run.peakMb.toFixed(0)} MB`);
  if (typeof result?.elapsedMs === 'number') findings.figure(`${(result.elapsedMs / 1000).toFixed(1)} s`);
  return findings;
}

async function smtpSends(context: ScenarioContext): Promise<Findings> {
  const sandbox = await scenarioSandbox(context);
  const from = sandbox.properties['o365.user'] ?? '';
  const to = sandbox.fixtures.users.megan.upn;
  const tag = `load-${Date.now()}`;
  const before = identityRequests(sandbox);
  const properties = { ...sandbox.properties, 'mail.smtp.pool.enable': 'true' };
  const run = await runClient(
    context,
    'load-smtp',
    { properties, count: 100, from, to, tag },
    { deadlineMs: 150_000 },
  );
  const findings = new Findings();
  const sent = (run.result?.sent ?? {}) as Record<string, number>;
  findings.check(
    sent.ok === 100,
    `sent: ${outcome(sent) || JSON.stringify(run.result?.error ?? run.killed)}`,
  );
  const delivered = (sandbox.store.mailbox(to)?.folder('Inbox')?.messages ?? []).filter((m) =>
    m.raw.includes(tag),
  ).length;
  findings.check(delivered === 100, `${delivered} delivered to ${to}`);
  const requests = identityRequests(sandbox) - before;
  findings.check(requests === 1, `${requests} token request(s) for 100 sends`);
  findings.figure(`client RSS ${run.baselineMb?.toFixed(0)} → peak ${run.peakMb.toFixed(0)} MB`);
  if (typeof run.result?.elapsedMs === 'number')
    findings.figure(`${(run.result.elapsedMs / 1000).toFixed(1)} s`);
  return findings;
}

/** Least-squares slope of `points`, MB per minute. */
function slope(points: readonly { atMs: number; mb: number }[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, p) => s + p.atMs, 0) / n;
  const my = points.reduce((s, p) => s + p.mb, 0) / n;
  const num = points.reduce((s, p) => s + (p.atMs - mx) * (p.mb - my), 0);
  const den = points.reduce((s, p) => s + (p.atMs - mx) ** 2, 0);
  return den === 0 ? 0 : (num / den) * 60_000;
}

async function soak(context: ScenarioContext): Promise<Findings> {
  const sandbox = await scenarioSandbox(context);
  const from = sandbox.properties['o365.user'] ?? '';
  sandbox.store.seed(from, { count: 5, size: 10_000 });
  const durationMs = SOAK_MS[context.mode];
  const input = { properties: sandbox.properties, durationMs, from, to: sandbox.fixtures.users.megan.upn };
  const rss: { atMs: number; mb: number }[] = [];
  const onEvent = (event: ClientEvent) =>
    void (event.event === 'rss' && rss.push({ atMs: Number(event.atMs), mb: Number(event.mb) }));
  const run = await runClient(context, 'soak', input, {
    deadlineMs: durationMs + 60_000,
    sampleMs: 1_000,
    onEvent,
  });
  const findings = new Findings();
  const result = run.result;
  if (result?.event !== 'result') {
    findings.check(
      false,
      `the soak did not run: ${JSON.stringify(result?.error ?? run.killed ?? run.stderr.slice(-300))}`,
    );
    return findings;
  }
  findings.check(
    Number(result.rounds) > 0,
    `${result.rounds} rounds of IMAP fetch + POP3 RETR + SMTP send in ${durationMs / 1000} s`,
  );
  findings.check(outcome(result.failures) === '', `failed rounds: ${outcome(result.failures) || 'none'}`);
  // The first fifth is warm-up (caches, pools, JIT); then the retained RSS must stay flat.
  const steady = rss.filter((p) => p.atMs >= durationMs / 5);
  const start = steady[0]?.mb ?? Number.NaN;
  const end = steady[steady.length - 1]?.mb ?? Number.NaN;
  findings.check(
    end - start < SOAK_BOUND_MB,
    `retained RSS ${start.toFixed(1)} → ${end.toFixed(1)} MB (${end >= start ? '+' : '−'}${Math.abs(end - start).toFixed(1)} MB; bound +${SOAK_BOUND_MB} MB)`,
  );
  findings.figure(`RSS start ${start.toFixed(0)} / peak ${run.peakMb.toFixed(0)} / end ${end.toFixed(0)} MB`);
  findings.figure(`slope ${slope(steady).toFixed(2)} MB/min over ${steady.length} readings`);
  return findings;
}

export const scenarios: readonly Scenario[] = [
  scenarioOf(
    {
      id: 'imap-500',
      title: 'Load: 500 concurrent IMAP sessions',
      injected:
        "500 `session.store('imaps')` + LIST at once on one session (client credentials), against the sandbox",
      expected: 'all 500 succeed; exactly one token request',
      deadlineMs: 180_000,
      exclusive: true,
    },
    imapSessions,
  ),
  scenarioOf(
    {
      id: 'smtp-100',
      title: 'Load: 100 concurrent SMTP sends',
      injected: '100 `sendMail` at once on one pooled transport (mail.smtp.pool.enable=true, 3 connections)',
      expected: 'all 100 accepted and delivered; exactly one token request',
      deadlineMs: 180_000,
      exclusive: true,
    },
    smtpSends,
  ),
  scenarioOf(
    {
      id: 'soak',
      title: 'Soak: connect/fetch/send loops',
      injected: `IMAP fetch, POP3 RETR and SMTP send in a loop on one session for ${SOAK_MS.quick / 1000} s (quick) or ${SOAK_MS.full / 60_000} minutes (full)`,
      expected: `every round succeeds; retained RSS (after full collections, past the first fifth) grows < ${SOAK_BOUND_MB} MB; start/peak/end and slope reported`,
      deadlineMs: { quick: SOAK_MS.quick + 120_000, full: SOAK_MS.full + 120_000 },
      exclusive: true,
    },
    soak,
  ),
];
