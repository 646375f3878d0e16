import { stripVTControlCharacters } from 'node:util';
import { ConfigError, TokenError } from '@kalisto/core';
import { describe, expect, it } from 'vitest';
import { describeFailure, formatDuration, TourPrinter, wrap } from './tour-output.js';

function printer() {
  let out = '';
  let clock = 0;
  const p = new TourPrinter(
    (text) => {
      out += text;
    },
    () => {
      clock += 250;
      return clock;
    },
  );
  // Colours depend on the terminal (picocolors turns them on under CI=true): compare the text.
  return { p, output: () => stripVTControlCharacters(out) };
}

describe('TourPrinter', () => {
  it('numbers steps, marks a passing one ✓ with its findings and a failing one ✗ with the fix', async () => {
    const { p, output } = printer();
    const ok = await p.run({
      title: 'First',
      explanation: 'What Kalisto does.',
      run: async () => ({ lines: ['a finding'], outcome: 'worked' }),
    });
    const failed = await p.run({
      title: 'Second',
      explanation: 'Something that breaks.',
      run: async () => {
        throw new TokenError('[token:msal] Token request failed: the client secret is invalid.', {
          code: 'TOKEN_INVALID_CLIENT_SECRET',
          hint: "Use the secret's Value.",
        });
      },
    });
    expect(ok).toMatchObject({ number: 1, ok: true, outcome: 'worked', durationMs: 250 });
    expect(failed).toMatchObject({ number: 2, ok: false });
    expect(failed.outcome).toBe('[token:msal] Token request failed: the client secret is invalid.');
    const text = output();
    expect(text).toContain(' 1  First');
    expect(text).toContain('a finding');
    expect(text).toContain('✓ worked');
    expect(text).toContain(' 2  Second');
    expect(text.replace(/\s+/g, ' ')).toContain(
      "✗ [token:msal] Token request failed: the client secret is invalid. Use the secret's Value. [TOKEN_INVALID_CLIENT_SECRET]",
    );
  });

  it('ends with a table of every step and the verdict', async () => {
    const { p, output } = printer();
    await p.run({ title: 'Alpha', explanation: '', run: async () => ({ lines: [], outcome: 'fine' }) });
    await p.run({
      title: 'Beta',
      explanation: '',
      run: async () => {
        throw new Error('broke. And more.');
      },
    });
    p.summary();
    const summary = output().slice(output().indexOf('Summary'));
    expect(summary).toMatch(/│ 1 +│ Alpha +│ ✓ fine/);
    expect(summary).toMatch(/│ 2 +│ Beta +│ ✗ broke\./);
    expect(summary).toContain('1 of 2 steps failed.');
  });
});

describe('describeFailure', () => {
  it('keeps a Kalisto error to one paragraph: message, hint once, code', () => {
    const error = new ConfigError([{ property: 'o365.oauth.tenant', expected: 'a GUID or domain' }]);
    const text = describeFailure(error);
    expect(text).toContain('o365.oauth.tenant');
    expect(text.match(/Fix the properties listed above\./g)).toHaveLength(1);
    expect(text.endsWith('[CONFIG_INVALID]')).toBe(true);
  });

  it('gives the message of any other error', () => {
    expect(describeFailure(new Error('plain'))).toBe('plain');
    expect(describeFailure('text')).toBe('text');
  });
});

describe('wrap and formatDuration', () => {
  it('wraps at the width and indents every line', () => {
    const text = wrap('one two three four five', '  ', 12);
    expect(text.split('\n')).toEqual(['  one two', '  three four', '  five']);
  });

  it('shows ms under a second, else seconds', () => {
    expect(formatDuration(12.4)).toBe('12 ms');
    expect(formatDuration(1540)).toBe('1.5 s');
  });
});
