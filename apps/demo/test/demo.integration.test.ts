import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { FIXTURE, fixturePassword, seededSecret } from '@kalisto/sandbox';
import { describe, expect, it } from 'vitest';

const appDir = fileURLToPath(new URL('..', import.meta.url));

/** Runs `pnpm demo`'s command line; resolves with the exit code and everything printed. */
function runDemo(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=dev-source', '--import', 'tsx', 'src/main.ts'], {
      cwd: appDir,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('pnpm demo', () => {
  it('runs every step against the sandbox, exits 0 and ends with the summary', async () => {
    const { code, stdout, stderr } = await runDemo();
    expect(stderr).toBe('');
    expect(code).toBe(0);

    const summary = stdout.slice(stdout.indexOf('Summary'));
    for (const step of [
      'Start the Office 365 sandbox',
      'Token: client credentials (MSAL)',
      'Token: password grant (MSAL)',
      'Send over smtp',
      'Send over smtps',
      'Read over imap',
      'Read over imaps (delegated)',
      'Read over pop3',
      'Read over pop3s',
      'Send over graph',
      'Read over graph',
      'A dozen connections, one token',
      'A mistake, explained',
    ]) {
      expect(summary).toContain(step);
    }
    // mail.transport.protocol=graph: one sendMail request, and IMAP and Graph's $value return the bytes sent.
    expect(summary).toContain('1 sendMail request; byte-identical over imaps');
    expect(summary).toMatch(/\d+ messages listed; \$value byte-identical/);
    // Exactly one: two (or more) token requests fail the step and this line.
    expect(summary).toMatch(/12 logins → 1 token request(?!s)/);
    expect(summary).toContain('AADSTS7000215 → TOKEN_INVALID_CLIENT_SECRET');
    expect(summary).toContain('All 14 steps passed.');
    expect(summary).not.toContain('✗');
    // The fix is shown in words.
    expect(stdout).toContain("Use the secret's Value, not its ID");

    // No secret of the sandbox's fixtures, and nothing token-shaped, is ever printed.
    for (const secret of [
      seededSecret(1, 'daemon'),
      fixturePassword(FIXTURE.users.megan),
      fixturePassword(FIXTURE.users.adele),
    ]) {
      expect(stdout).not.toContain(secret);
    }
    expect(stdout).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\./);
  }, 90_000);
});
