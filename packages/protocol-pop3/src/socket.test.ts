import { trustedSecureContext } from '@kalisto/core/plugin';
import { describe, expect, it } from 'vitest';
import { resolvePop3Options } from './options.js';
import { tlsConnectionOptions } from './socket.js';

describe('tlsConnectionOptions', () => {
  it('reuses one shared TLS context per CA and TLS floor instead of building one per connection', () => {
    const options = resolvePop3Options({ host: 'pop.contoso.example', minTlsVersion: 'TLSv1.3' });
    const first = tlsConnectionOptions(options);
    expect(first.secureContext).toBe(trustedSecureContext({ minVersion: 'TLSv1.3' }));
    expect(tlsConnectionOptions(options).secureContext).toBe(first.secureContext);
    expect(first).toMatchObject({ servername: 'pop.contoso.example', rejectUnauthorized: true });
    expect(first).not.toHaveProperty('ca');
  });

  it('sends no IP address as the server name and skips only the name check when told to', () => {
    const options = resolvePop3Options({ host: '127.0.0.1', checkServerIdentity: false });
    const tls = tlsConnectionOptions(options);
    expect(tls).not.toHaveProperty('servername');
    expect(tls.rejectUnauthorized).toBe(true);
    expect(tls.checkServerIdentity?.('127.0.0.1', {} as never)).toBeUndefined();
  });
});
