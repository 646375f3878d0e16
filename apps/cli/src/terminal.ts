/**
 * The one place where text meets the terminal. Everything the CLI prints — results, notes, errors,
 * log lines, commander's messages — goes through {@link guardTerminal}, which shows control
 * characters as `\uXXXX` instead of letting them act: server replies, mail headers and typed
 * arguments cannot set the window title, clear the screen, move the cursor or reorder text.
 * The CLI's own colours are the only escape sequences that get through (see {@link terminalColors}).
 */
import { randomBytes } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';
import type { CliIo } from './io.js';

// C0 but tab, newline and a carriage return ending a line (CRLF), DEL, C1, and the bidi embeddings,
// overrides and isolates. A lone CR is escaped: it would let the rest of a line overwrite its start.
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]|\r(?!\n)/g;
const CONTROL_OR_LINE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

const hex = (char: string): string => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;

/**
 * `text` with every control character shown as a JSON-style `\uXXXX` escape (ESC is `\u001b`), so it
 * is inert on a terminal and still valid inside a JSON string. Tabs, newlines and CRLF line ends stay
 * unless `singleLine`, which escapes them too (a table cell).
 */
export function escapeControls(text: string, options: { singleLine?: boolean } = {}): string {
  return text.replace(options.singleLine ? CONTROL_OR_LINE : CONTROL, hex);
}

/**
 * Stands for ESC in the CLI's own colour codes until the guard writes them out. It is random per
 * process and never printed, so text from elsewhere cannot contain it to smuggle a sequence through.
 */
const OWN_ESCAPE = `\ue000${randomBytes(12).toString('hex')}\ue001`;

/** Escapes control characters in `text`, then turns the CLI's own colour codes into real ones. */
export function forTerminal(text: string): string {
  if (!text.includes(OWN_ESCAPE)) return escapeControls(text);
  return text
    .split(OWN_ESCAPE)
    .map((piece) => escapeControls(piece))
    .join('\u001b');
}

const STYLES = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
} as const;

export type Colors = Readonly<Record<keyof typeof STYLES, (text: string) => string>>;

/** The styles the CLI uses, as codes only {@link forTerminal} turns into escape sequences; identity when off. */
export function terminalColors(enabled: boolean): Colors {
  const style = ([open, close]: readonly [number, number]) => {
    if (!enabled) return (text: string) => text;
    const start = `${OWN_ESCAPE}[${open}m`;
    const end = `${OWN_ESCAPE}[${close}m`;
    // A nested style that ends with the same code re-opens ours, as picocolors does.
    return (text: string) => `${start}${String(text).replaceAll(end, `${end}${start}`)}${end}`;
  };
  return {
    bold: style(STYLES.bold),
    dim: style(STYLES.dim),
    red: style(STYLES.red),
    green: style(STYLES.green),
    yellow: style(STYLES.yellow),
  };
}

const GUARDED = Symbol('kalisto.cli.guarded');

/**
 * The same process with standard output and standard error passed through {@link forTerminal}.
 * `stdoutExact` (content the user asked for as is) is written byte for byte when standard output is
 * not a terminal, and escaped like the rest when it is.
 */
export function guardTerminal(io: CliIo): CliIo {
  if ((io as { [GUARDED]?: boolean })[GUARDED]) return io;
  // One decoder for the whole stream: a character split across two chunks is still one character.
  const exactText = new StringDecoder('utf8');
  const guarded: CliIo & { [GUARDED]: boolean } = {
    [GUARDED]: true,
    stdout: (text) => io.stdout(forTerminal(text)),
    stderr: (text) => io.stderr(forTerminal(text)),
    stdoutExact: (data) => {
      if (io.stdoutIsTTY || io.stdoutExact === undefined) {
        io.stdout(escapeControls(typeof data === 'string' ? data : exactText.write(Buffer.from(data))));
      } else {
        io.stdoutExact(data);
      }
    },
    stdin: io.stdin,
    progressStream: io.progressStream,
    env: io.env,
  };
  if (io.stdoutIsTTY !== undefined) guarded.stdoutIsTTY = io.stdoutIsTTY;
  if (io.stdoutReady !== undefined) guarded.stdoutReady = () => io.stdoutReady?.() ?? Promise.resolve();
  return guarded;
}
