import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliSandbox, expectNoSecrets, flat, runKalisto, startCliSandbox } from './helpers.js';

const DAY = 86_400_000;
let box: CliSandbox;

beforeAll(async () => {
  box = await startCliSandbox();
});

afterAll(async () => {
  await box?.stop();
});

function doctor(overrides: Record<string, string>, ...extra: string[]) {
  const defines = Object.entries(overrides).flatMap(([k, v]) => ['-D', `${k}=${v}`]);
  return runKalisto([...box.config, ...defines, 'doctor', '--protocols', 'imaps', ...extra]);
}

describe('kalisto doctor: credential expiry', () => {
  it('warns about a client secret expiring in 10 days, with the fix, and still exits 0', async () => {
    const expires = new Date(Date.now() + 10.5 * DAY).toISOString().slice(0, 10);
    const run = await doctor({ 'o365.oauth.clientSecret.expires': expires });
    expect(run.code).toBe(0);
    const out = flat(run.stdout);
    expect(out).toContain('! Client secret expiry — 10 days left');
    expect(out).toMatch(/warning: Client secret of app \S+ expires in 10 days \(\d{4}-\d\d-\d\d\)/);
    expect(out).toContain('fix: Add a new client secret to the app registration');
    expectNoSecrets(run, box.secrets);
  });

  it("reports the cached refresh token's days left for a delegated flow", async () => {
    const { publicApp, users } = box.sandbox.fixtures;
    const run = await doctor({
      'o365.oauth.flow': 'password',
      'o365.oauth.clientId': publicApp.clientId,
      'o365.oauth.clientSecret': '',
      'o365.oauth.scope': 'https://outlook.office.com/.default',
      'o365.user': users.adele.upn,
      'o365.password': users.adele.password,
    });
    expect(run.code).toBe(0);
    expect(flat(run.stdout)).toMatch(
      new RegExp(
        `✓ Refresh token expiry \\(${users.adele.upn}\\) — Refresh token of ${users.adele.upn} expires in 89 days`,
      ),
    );
    expectNoSecrets(run, [...box.secrets, users.adele.password]);
  });
});
