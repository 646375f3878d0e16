import type { Kalisto, KalistoSession, PropertyMap } from '@kalisto/core';
import type { Sandbox } from '@kalisto/sandbox';

/** What the steps share: the sandbox, the Kalisto instance, two sessions and the mail sent. */
export interface TourState {
  sandbox: Sandbox;
  kalisto: Kalisto;
  /** App-only session (client credentials) for the sandbox's first mailbox. */
  appSession: KalistoSession;
  /** Delegated session (password grant) of a second user. */
  userSession: KalistoSession;
  /** The mailbox the app-only session opens. */
  mailbox: string;
  /** The delegated user. */
  user: string;
  /** Subjects of the messages sent, in order. */
  subjects: string[];
}

/** Properties of a delegated (password grant) session through the sandbox's public client app. */
export function passwordGrantProperties(sandbox: Sandbox, upn: string, password: string): PropertyMap {
  const { 'o365.oauth.clientSecret': _secret, ...rest } = sandbox.properties;
  return {
    ...rest,
    'o365.oauth.clientId': sandbox.fixtures.publicApp.clientId,
    'o365.oauth.flow': 'password',
    'o365.oauth.scope':
      'https://outlook.office.com/IMAP.AccessAsUser.All https://outlook.office.com/POP.AccessAsUser.All https://outlook.office.com/SMTP.Send offline_access',
    'o365.user': upn,
    'o365.password': password,
    'mail.smtp.user': upn,
  };
}
