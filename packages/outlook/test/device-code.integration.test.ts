/**
 * `onDeviceCode` reaches MSAL through the preset: a device code sign-in (the user approves the code
 * at the sandbox's verification page), then a send over SMTP with the delegated token.
 */
import { type Sandbox, startSandbox } from '@kalisto/sandbox';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createOutlookSession } from '../src/index.js';

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox({ lifetimes: { deviceCodeInterval: 0.05 } });
});
afterAll(async () => {
  await sandbox?.stop();
});

it('shows the device code through onDeviceCode, and the approved sign-in sends mail', async () => {
  const { megan, adele } = sandbox.fixtures.users;
  const shown: string[] = [];
  const session = createOutlookSession(
    {
      ...sandbox.properties,
      'o365.oauth.flow': 'device_code',
      'o365.oauth.clientId': sandbox.fixtures.publicApp.clientId,
      'o365.oauth.clientSecret': '',
      'o365.oauth.scope': 'https://outlook.office.com/SMTP.Send',
      'o365.user': megan.upn,
      'mail.smtp.user': megan.upn,
    },
    {
      onDeviceCode: (info) => {
        shown.push(info.userCode);
        sandbox.hooks.approveDeviceCode(info.userCode, megan.upn);
      },
    },
  );
  try {
    const transport = await session.transport('smtp');
    const info = await transport.sendMail({
      from: megan.upn,
      to: adele.upn,
      subject: 'signed in with a device code',
      text: 'hello',
    });

    expect(shown).toHaveLength(1);
    expect(info.accepted).toEqual([adele.upn]);
    expect((await session.tokens.getToken()).account?.toLowerCase()).toBe(megan.upn);
  } finally {
    await session.close();
  }
});
