import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors/errors.js';
import { parseProperties, stringifyProperties } from './properties-text.js';

const plain = (map: Record<string, string>): Record<string, string> => ({ ...map });

describe('parseProperties (java.util.Properties.load semantics)', () => {
  it('reads = : and whitespace separators, and skips # and ! comments and blank lines', () => {
    const text = [
      '# a comment',
      '! another comment',
      '',
      '   ',
      'a=1',
      'b:2',
      'c 3',
      'd   =   4',
      'e\t:\t5',
      'f',
      '  g = = 7',
      'h::8',
    ].join('\n');
    expect(plain(parseProperties(text))).toEqual({
      a: '1',
      b: '2',
      c: '3',
      d: '4',
      e: '5',
      f: '',
      g: '= 7',
      h: ':8',
    });
  });

  it('keeps trailing whitespace of a value and lets a later duplicate win', () => {
    expect(plain(parseProperties('k=v  \nk=w  '))).toEqual({ k: 'w  ' });
  });

  it('decodes escapes in keys and values', () => {
    const text = String.raw`key\ with\ spaces\=and\:colons = tab\there\nnew\rcr\fff\\back\#hash\!bang\ sp\q`;
    expect(plain(parseProperties(text))).toEqual({
      'key with spaces=and:colons': 'tab\there\nnew\rcr\fff\\back#hash!bang spq',
    });
  });

  it('decodes \\uXXXX, including surrogate pairs', () => {
    expect(plain(parseProperties(String.raw`z\u00FCrich=\u0041\u00e9\uD83D\uDE00`))).toEqual({
      zürich: 'Aé😀',
    });
  });

  it('joins continuation lines, dropping the next line’s leading whitespace', () => {
    const text = 'fruits  apple, banana, \\\n      pear, cantaloupe\nnext=1';
    expect(plain(parseProperties(text))).toEqual({ fruits: 'apple, banana, pear, cantaloupe', next: '1' });
  });

  it('treats an even number of trailing backslashes as literal backslashes', () => {
    expect(plain(parseProperties('a=x\\\\\nb=y'))).toEqual({ a: 'x\\', b: 'y' });
    expect(plain(parseProperties('a=x\\\\\\\nb=y'))).toEqual({ a: 'x\\b=y' });
  });

  it('does not treat a continued line starting with # as a comment, nor continue a comment', () => {
    expect(plain(parseProperties('a=1\\\n#2\n# c \\\nb=3'))).toEqual({ a: '1#2', b: '3' });
  });

  it('ends a continuation at a blank line and at the end of input', () => {
    expect(plain(parseProperties('a=1\\\n\nb=2'))).toEqual({ a: '1', b: '2' });
    expect(plain(parseProperties('a=1\\'))).toEqual({ a: '1' });
  });

  // Found by comparing 40,000 generated texts with OpenJDK 17's Properties.load.
  it("matches Java's edge cases around continuations", () => {
    // A lone backslash cut off by the end of input is the entry "" = "".
    expect(plain(parseProperties('a=1\n\\'))).toEqual({ a: '1', '': '' });
    expect(plain(parseProperties('\\\n'))).toEqual({ '': '' });
    expect(plain(parseProperties('\\\r\n'))).toEqual({});
    // After a continuation with nothing before it, the next line is a fresh one: # starts a comment.
    expect(plain(parseProperties('\\\n  # not a key\ng=1'))).toEqual({ g: '1' });
    expect(plain(parseProperties('x\\\n  #1'))).toEqual({ 'x#1': '' });
  });

  it('accepts CRLF, CR and LF line ends, also inside continuations', () => {
    expect(plain(parseProperties('a=1\r\nb=2\rc=3\nd=4\\\r\n  5'))).toEqual({
      a: '1',
      b: '2',
      c: '3',
      d: '45',
    });
  });

  it('continues a \\u escape across a continuation line, as Java does', () => {
    expect(plain(parseProperties('a=\\u00\\\n   41'))).toEqual({ a: 'A' });
  });

  it('ignores a leading byte-order mark', () => {
    expect(plain(parseProperties('\uFEFFa=1'))).toEqual({ a: '1' });
  });

  it('treats __proto__ as an ordinary key', () => {
    const map = parseProperties('__proto__=x');
    expect(Object.keys(map)).toEqual(['__proto__']);
    expect(Object.getOwnPropertyDescriptor(map, '__proto__')?.value).toBe('x');
  });

  it('reports every malformed \\u escape with its line, never the value', () => {
    const text = ['ok=1', 'o365.password=hunter2\\u12', 'x\\uZZ=1', '', 'b=\\\n  \\u00G1'].join('\n');
    let error: unknown;
    try {
      parseProperties(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const configError = error as ConfigError;
    expect(configError.code).toBe('CONFIG_PROPERTIES_SYNTAX');
    expect(configError.issues.map((i) => i.property)).toEqual(['o365.password', 'line 3', 'b']);
    expect(configError.issues[0]!.expected).toContain('(line 2)');
    expect(configError.issues[2]!.expected).toContain('(line 6)');
    expect(configError.message).not.toContain('hunter2');
  });
});

describe('stringifyProperties', () => {
  it('escapes what must be escaped and writes non-ASCII as \\uXXXX', () => {
    const text = stringifyProperties({ 'a key': ' lead and trail ', 'x=y:z': '#!\\\t\n', ü: 'é😀' });
    expect(text).toBe(
      [
        String.raw`a\ key=\ lead and trail `,
        String.raw`x\=y\:z=\#\!\\\t\n`,
        String.raw`\u00FC=\u00E9\uD83D\uDE00`,
        '',
      ].join('\n'),
    );
    expect(/^[\x20-\x7e\n]*$/.test(text)).toBe(true);
  });

  it('writes nothing for an empty map', () => {
    expect(stringifyProperties({})).toBe('');
  });
});

/** Any UTF-16 string, with the characters the format treats specially made frequent. */
const anyText = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) }),
  fc.string({
    unit: fc.constantFrom(' ', '\t', '\f', '\\', '=', ':', '#', '!', '\n', '\r', 'u', '0', 'a', 'é'),
  }),
);

describe('properties text (property-based)', () => {
  it('stringify then parse gives back any map', () => {
    fc.assert(
      fc.property(fc.dictionary(anyText, anyText, { maxKeys: 8 }), (map) => {
        expect(plain(parseProperties(stringifyProperties(map)))).toEqual(plain(map));
      }),
      { numRuns: 300 },
    );
  });

  it('parses any text to a map or throws a ConfigError, nothing else', () => {
    const specialHeavy = fc.string({
      unit: fc.constantFrom('\\', 'u', '0', 'F', 'g', '=', ':', ' ', '\n', '\r', '#', '!', 'k', '\t'),
      maxLength: 60,
    });
    fc.assert(
      fc.property(fc.oneof(anyText, specialHeavy), (text) => {
        try {
          const map = parseProperties(text);
          for (const value of Object.values(map)) expect(typeof value).toBe('string');
        } catch (error) {
          expect(error).toBeInstanceOf(ConfigError);
        }
      }),
      { numRuns: 500 },
    );
  });
});
