/**
 * The least a Graph client does, on undici (the HTTP library Kalisto's Graph client uses): a bearer
 * token, keep-alive connections, the sandbox CA, no retries, no error classification. The baseline
 * for "what the HTTP round trips require".
 */
import { Agent, request } from 'undici';
import type { SandboxProcess } from './sandbox-process.js';

/** A failed request, by status only: the request carried a token. */
function failed(what: string, status: number): Error {
  return new Error(`raw Graph ${what}: HTTP ${status}`);
}

export class RawGraphClient {
  readonly #agent: Agent;
  readonly #mailbox: string;
  readonly #headers: Record<string, string>;

  constructor(sandbox: SandboxProcess, accessToken: string) {
    this.#agent = new Agent({ connect: { ca: [sandbox.ca] } });
    this.#mailbox = `${sandbox.endpoints.graph.url}/users/${encodeURIComponent(sandbox.user)}`;
    this.#headers = { authorization: `Bearer ${accessToken}` };
  }

  /** `POST /users/{mailbox}/sendMail` with a MIME message, base64 (Graph's MIME form). */
  async sendMime(mime: Buffer): Promise<void> {
    const response = await request(`${this.#mailbox}/sendMail`, {
      method: 'POST',
      dispatcher: this.#agent,
      headers: { ...this.#headers, 'content-type': 'text/plain' },
      body: mime.toString('base64'),
    });
    await response.body.dump();
    if (response.statusCode !== 202) throw failed('sendMail', response.statusCode);
  }

  /** The ids of the first `top` messages of the Inbox (one listing request). */
  async inboxIds(top: number): Promise<string[]> {
    const response = await request(`${this.#mailbox}/mailFolders/inbox/messages?$top=${top}&$select=id`, {
      dispatcher: this.#agent,
      headers: { ...this.#headers, accept: 'application/json' },
    });
    const page = (await response.body.json()) as { value: { id: string }[] };
    if (response.statusCode !== 200) throw failed('list messages', response.statusCode);
    return page.value.map((m) => m.id);
  }

  /** `GET /users/{mailbox}/messages/{id}/$value`: the message's MIME source. */
  async source(id: string): Promise<Buffer> {
    const response = await request(`${this.#mailbox}/messages/${encodeURIComponent(id)}/$value`, {
      dispatcher: this.#agent,
      headers: this.#headers,
    });
    const body = Buffer.from(await response.body.arrayBuffer());
    if (response.statusCode !== 200) throw failed('$value', response.statusCode);
    return body;
  }

  close(): Promise<void> {
    return this.#agent.close();
  }
}

/** Runs `task(i)` for i in 0…count−1 with at most `limit` running at once; resolves with the results in order. */
export async function inFlight<T>(
  limit: number,
  count: number,
  task: (i: number) => Promise<T>,
): Promise<T[]> {
  const results = new Array<T>(count);
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const i = next++;
      results[i] = await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, lane));
  return results;
}
