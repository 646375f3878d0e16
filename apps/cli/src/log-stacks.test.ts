import { consoleLogger, TokenError } from '@kalisto/core';
import { withRedaction } from '@kalisto/core/plugin';
import { describe, expect, it } from 'vitest';
import { withoutStack, withoutStacks } from './log-stacks.js';

const networkFailure = () =>
  new TokenError('[token:msal] Token request could not reach the identity platform (ECONNREFUSED).', {
    code: 'TOKEN_NETWORK_ERROR',
    transient: true,
    cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
  });

/** The CLI's logger chain: redaction, then (unless --debug) no stacks, then one line per call. */
function logged(debug: boolean): string {
  const lines: string[] = [];
  const console = consoleLogger({ level: 'debug', write: (line) => lines.push(line) });
  const logger = withRedaction(debug ? console : withoutStacks(console), []);
  logger
    .child?.({ provider: 'msal' })
    .warn({ attempt: 1, err: networkFailure() }, 'Token request failed; retrying.');
  return lines.join('');
}

describe('withoutStacks', () => {
  it('logs an error and its cause without stacks, keeping type, message and code', () => {
    const line = logged(false);
    expect(line).not.toContain('"stack"');
    expect(line).toContain(
      'WARN Token request failed; retrying. {"provider":"msal","attempt":1,"err":{"type":"TokenError"',
    );
    expect(line).toContain('"code":"TOKEN_NETWORK_ERROR"');
    expect(line).toContain('"cause":{"type":"Error","message":"connect ECONNREFUSED 127.0.0.1:1"');
  });

  it('keeps the stacks when debugging', () => {
    expect(logged(true)).toContain('"stack":"TokenError: [token:msal]');
  });

  it('drops only an error’s stack: a plain field named stack stays', () => {
    expect(
      withoutStack({ stack: 'lifo', err: { message: 'm', stack: 'at x' }, list: [new Error('e')] }),
    ).toEqual({
      stack: 'lifo',
      err: { message: 'm' },
      list: [{ type: 'Error', message: 'e' }],
    });
  });
});
