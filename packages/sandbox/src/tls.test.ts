import { once } from 'node:events';
import { connect, createServer } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { createSandboxTls } from './tls.js';

describe('createSandboxTls', () => {
  it('yields a server certificate that verifies against the CA for 127.0.0.1 and localhost', async () => {
    const tls = await createSandboxTls();
    const server = createServer({ key: tls.key, cert: tls.cert }, (socket) => socket.end('hello'));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as { port: number };
    try {
      for (const servername of ['localhost', undefined]) {
        const socket = connect({ host: '127.0.0.1', port, ca: tls.ca, servername });
        const [data] = await once(socket, 'data');
        expect(socket.authorized).toBe(true);
        expect(String(data)).toBe('hello');
        socket.destroy();
      }
      const untrusted = connect({ host: '127.0.0.1', port });
      const [err] = await once(untrusted, 'error');
      expect((err as NodeJS.ErrnoException).code).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY|LOCAL_ISSUER/);
    } finally {
      server.close();
    }
  });
});
