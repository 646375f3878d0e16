import { describe, expect, it } from 'vitest';
import { decodeSaslPlain } from './sasl-plain.js';

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

describe('decodeSaslPlain', () => {
  it('reads user and password, with an empty or equal authorization identity', () => {
    expect(decodeSaslPlain(b64('\0dev@contoso.example\0pä ss'))).toEqual({
      user: 'dev@contoso.example',
      password: 'pä ss',
    });
    expect(decodeSaslPlain(b64('dev\0dev\0pw'))).toEqual({ user: 'dev', password: 'pw' });
  });

  it('refuses acting as someone else, missing fields, bad base64 and invalid UTF-8', () => {
    for (const response of [
      b64('admin\0dev\0pw'),
      b64('\0dev\0'),
      b64('\0\0pw'),
      b64('dev\0pw'),
      b64('\0a\0b\0c'),
      'not base64!',
      '',
      Buffer.from([0, 0x61, 0, 0xff]).toString('base64'),
    ]) {
      expect(decodeSaslPlain(response)).toBeUndefined();
    }
  });
});
