import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createSandboxTls } from '@kalisto/sandbox';

/** An HTTPS server on 127.0.0.1 with a throw-away CA, answering with `handler`. */
export interface TestHttpsServer {
  /** `https://127.0.0.1:PORT`. */
  readonly url: string;
  /** The CA (PEM) that signed the server certificate. */
  readonly ca: string;
  close(): Promise<void>;
}

export async function startHttpsServer(
  handler: (req: IncomingMessage, res: ServerResponse, body: string) => void,
): Promise<TestHttpsServer> {
  const tls = await createSandboxTls();
  const server = createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => handler(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    ca: tls.ca,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Sends a JSON reply. */
export function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}
