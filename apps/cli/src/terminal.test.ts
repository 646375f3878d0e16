import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { CliIo } from './io.js';
import { escapeControls, forTerminal, guardTerminal, terminalColors } from './terminal.js';

/** What can act on a terminal: C0 but tab/newline/CRLF, DEL, C1, bidi controls, a lone CR. */
const ACTIVE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]|\r(?!\n)/;

function recordingIo(options: { tty?: boolean } = {}) {
  const written = { stdout: '', stderr: '', exact: [] as (string | Uint8Array)[] };
  const io: CliIo = {
    stdout: (text) => {
      written.stdout += text;
    },
    stderr: (text) => {
      written.stderr += text;
    },
    stdoutExact: (data) => {
      written.exact.push(data);
    },
    stdoutIsTTY: options.tty ?? false,
    stdin: new PassThrough(),
    progressStream: undefined,
    env: {},
  };
  return { io, written };
}

describe('escapeControls', () => {
  it('shows window-title, clear-screen, C1, bidi controls and a lone CR as \\uXXXX, keeping tabs and line ends', () => {
    const hostile = 'a\u001b]0;pwned\u0007b\u001b[2Jc\u009b31md\u202eevil\u2066e\u0000f\u007fg\r\nh\ti\rj';
    const shown = escapeControls(hostile);
    expect(shown).toBe(
      'a\\u001b]0;pwned\\u0007b\\u001b[2Jc\\u009b31md\\u202eevil\\u2066e\\u0000f\\u007fg\r\nh\ti\\u000dj',
    );
    expect(shown).not.toMatch(ACTIVE);
  });

  it('escapes tabs and newlines too for a single line', () => {
    expect(escapeControls('a\tb\nc', { singleLine: true })).toBe('a\\u0009b\\u000ac');
  });

  it('leaves ordinary text, accents, CJK and emoji alone', () => {
    const text = 'Grüße 日本語 😀 — “quotes”';
    expect(escapeControls(text)).toBe(text);
  });

  it('keeps a JSON document valid: raw C1 and bidi characters become JSON escapes of the same value', () => {
    const data = { subject: 'x\u009b2J\u202ey', title: '\u001b]0;t\u0007' };
    const printed = forTerminal(JSON.stringify(data));
    expect(printed).not.toMatch(ACTIVE);
    expect(JSON.parse(printed)).toEqual(data);
  });
});

describe('terminalColors and forTerminal', () => {
  it("let the CLI's own colours through and nothing else", () => {
    const c = terminalColors(true);
    const printed = forTerminal(`${c.green('✓')} sent: ${c.dim('250 ok \u001b[2J\u001b[31mfake')}`);
    expect(printed).toBe('\u001b[32m✓\u001b[39m sent: \u001b[2m250 ok \\u001b[2J\\u001b[31mfake\u001b[22m');
  });

  it('are plain text when colour is off', () => {
    const c = terminalColors(false);
    expect(forTerminal(c.red('x'))).toBe('x');
  });

  it('re-open an outer style after a nested one of the same kind closes', () => {
    const c = terminalColors(true);
    expect(forTerminal(c.bold(`a ${c.dim('b')} c`))).toBe(
      '\u001b[1ma \u001b[2mb\u001b[22m\u001b[1m c\u001b[22m',
    );
  });
});

describe('guardTerminal', () => {
  it('escapes what goes to standard output and standard error', () => {
    const { io, written } = recordingIo();
    const guarded = guardTerminal(io);
    guarded.stdout('250 \u001b]0;pwned\u0007\n');
    guarded.stderr('error: \u001b[2J\n');
    expect(written.stdout).toBe('250 \\u001b]0;pwned\\u0007\n');
    expect(written.stderr).toBe('error: \\u001b[2J\n');
  });

  it('writes exact content byte for byte to a pipe, and escaped to a terminal', () => {
    const source = Buffer.from('Subject: \u001b$B\r\n\r\nbody\r\n', 'latin1');
    const piped = recordingIo({ tty: false });
    guardTerminal(piped.io).stdoutExact?.(source);
    expect(piped.written.exact).toEqual([source]);

    const terminal = recordingIo({ tty: true });
    guardTerminal(terminal.io).stdoutExact?.(source);
    expect(terminal.written.exact).toEqual([]);
    expect(terminal.written.stdout).toBe('Subject: \\u001b$B\r\n\r\nbody\r\n');
  });

  it('shows a character split across two exact chunks as one character on a terminal', () => {
    const euro = Buffer.from('€ 5', 'utf8');
    const terminal = recordingIo({ tty: true });
    const guarded = guardTerminal(terminal.io);
    guarded.stdoutExact?.(euro.subarray(0, 1));
    guarded.stdoutExact?.(euro.subarray(1));
    expect(terminal.written.stdout).toBe('€ 5');
  });

  it('wraps once: guarding a guarded io keeps colours working', () => {
    const { io, written } = recordingIo();
    const twice = guardTerminal(guardTerminal(io));
    twice.stdout(terminalColors(true).red('x'));
    expect(written.stdout).toBe('\u001b[31mx\u001b[39m');
  });
});
