import { TokenError } from '@kalisto/core';
import { createRedactor } from '@kalisto/core/plugin';
import { describe, expect, it } from 'vitest';
import { errorJson, formatError } from './errors.js';

const token = new TokenError(
  '[token:msal] Token request failed: the client secret is invalid. Use the Value.',
  {
    code: 'TOKEN_INVALID_CLIENT_SECRET',
    hint: 'Use the Value.',
  },
);

describe('formatError', () => {
  it('prints a Kalisto error as one paragraph: message (with its fix once) and code, no stack', () => {
    const text = formatError(token, { debug: false, redactor: createRedactor() });
    expect(text).toBe(
      'error: [token:msal] Token request failed: the client secret is invalid. Use the Value. (TOKEN_INVALID_CLIENT_SECRET)\n',
    );
  });

  it('adds the stack and causes under --debug, and points to --debug for foreign errors', () => {
    const wrapped = new Error('outer', { cause: new Error('inner') });
    const debug = formatError(wrapped, { debug: true, redactor: createRedactor() });
    expect(debug).toContain('error: outer');
    expect(debug).toMatch(/\n {4}at /);
    expect(debug).toContain('caused by: Error: inner');
    expect(formatError(wrapped, { debug: false, redactor: createRedactor() })).toContain('Run with --debug');
  });

  it('scrubs known secrets and bearer tokens from whatever it prints', () => {
    const leaky = new Error('sent client_secret=Sup3rSecretValue with Bearer abc.def.ghi');
    const text = formatError(leaky, { debug: true, redactor: createRedactor(['Sup3rSecretValue']) });
    expect(text).not.toContain('Sup3rSecretValue');
    expect(text).not.toContain('abc.def.ghi');
  });
});

describe('errorJson', () => {
  it('is a JSON document with the exit code, the code and the hint', () => {
    expect(JSON.parse(errorJson(token, 3, createRedactor()))).toEqual({
      ok: false,
      exitCode: 3,
      error: {
        name: 'TokenError',
        code: 'TOKEN_INVALID_CLIENT_SECRET',
        message: token.message,
        hint: 'Use the Value.',
      },
    });
  });
});
