import { describe, expect, it } from 'vitest';
import { lenientGreeting } from './smtp-dialect.js';

describe('lenientGreeting', () => {
  it.each([
    ['HELO', '192.0.2.7', 'HELO [192.0.2.7]'],
    ['ehlo', '::1', 'ehlo [IPv6:::1]'],
    ['HELO My Printer', '192.0.2.7', 'HELO My'],
    ['HELO printer.example', '192.0.2.7', 'HELO printer.example'],
  ])('%s from %s → %s', (command, address, expected) => {
    expect(lenientGreeting(Buffer.from(command), address).toString()).toBe(expected);
  });
});
