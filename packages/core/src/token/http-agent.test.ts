import { describe, expect, it } from 'vitest';
import { createHttpAgent } from './http-agent.js';

describe('createHttpAgent', () => {
  it('closes without ever having connected, and refuses requests once closed', async () => {
    const agent = createHttpAgent({ timeoutMs: 1000 });
    await agent.close();
    await agent.close();
    await expect(agent.request('https://127.0.0.1:9/', { method: 'GET' })).rejects.toThrow(/closed/);
  });
});
