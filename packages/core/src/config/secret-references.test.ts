import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLIENT_ID, resolveError, TENANT } from '../../test/config-fixtures.js';
import { resolveConfig } from './resolve.js';
import { MAX_REFERENCED_FILE_BYTES, resolveReference } from './secret-references.js';

const dir = mkdtempSync(join(tmpdir(), 'kalisto-references-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const APP = { 'o365.oauth.tenant': TENANT, 'o365.oauth.clientId': CLIENT_ID };

const issuesFor = (properties: Record<string, string>) => resolveError({ ...APP, ...properties }).issues;

describe('file: references', () => {
  it('reads a regular file, without its trailing newline', () => {
    const path = join(dir, 'secret.txt');
    writeFileSync(path, 'from-a-file\n');
    expect(resolveReference(`file:${path}`, {})).toEqual({ value: 'from-a-file' });
    const config = resolveConfig({ ...APP, 'o365.oauth.clientSecret': `file:${path}` });
    expect(config.oauth.clientSecret?.reveal()).toBe('from-a-file');
  });

  it('refuses a device such as /dev/zero without reading it (it read 5.9 GB before)', () => {
    const before = process.memoryUsage().rss;
    const issues = issuesFor({ 'o365.oauth.clientSecret': 'file:/dev/zero' });
    expect(issues).toEqual([
      {
        property: 'o365.oauth.clientSecret',
        value: 'file:/dev/zero',
        expected: 'a regular file at /dev/zero, not a device',
      },
    ]);
    expect(process.memoryUsage().rss - before).toBeLessThan(64 * 1024 * 1024);
  });

  it('refuses a FIFO without opening it for a read that would wait for a writer (it hung before)', () => {
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    expect(issuesFor({ 'o365.password': `file:${fifo}`, 'o365.user': 'u@contoso.example' })).toEqual([
      { property: 'o365.password', value: `file:${fifo}`, expected: `a regular file at ${fifo}, not a FIFO` },
    ]);
  });

  it('refuses a directory', () => {
    const sub = join(dir, 'a-directory');
    mkdirSync(sub);
    expect(issuesFor({ 'kalisto.tls.ca': `file:${sub}`, 'o365.oauth.clientSecret': 'app-secret' })).toEqual([
      {
        property: 'kalisto.tls.ca',
        value: `file:${sub}`,
        expected: `a regular file at ${sub}, not a directory`,
      },
    ]);
  });

  it('refuses a file over MAX_REFERENCED_FILE_BYTES (1 MiB), naming the property', () => {
    expect(MAX_REFERENCED_FILE_BYTES).toBe(1024 * 1024);
    const path = join(dir, 'huge.txt');
    writeFileSync(path, Buffer.alloc(MAX_REFERENCED_FILE_BYTES + 1, 'a'));
    expect(issuesFor({ 'o365.oauth.certificate.privateKey': `file:${path}` })).toContainEqual({
      property: 'o365.oauth.certificate.privateKey',
      value: `file:${path}`,
      expected: `a file of at most 1 MiB at ${path} (it has ${MAX_REFERENCED_FILE_BYTES + 1} bytes)`,
    });
    const exact = join(dir, 'exact.txt');
    writeFileSync(exact, Buffer.alloc(MAX_REFERENCED_FILE_BYTES, 'b'));
    expect(resolveReference(`file:${exact}`, {})).toEqual({ value: 'b'.repeat(MAX_REFERENCED_FILE_BYTES) });
  });

  it('names a missing or unreadable file by its error code', () => {
    expect(resolveReference(`file:${join(dir, 'none')}`, {})).toEqual({
      problem: `a readable file at ${join(dir, 'none')} (ENOENT)`,
    });
  });
});
