import type { Kalisto, KalistoSession, PropertyMap } from '@kalisto/core';
import type { Sandbox } from '@kalisto/sandbox';

/** What the steps share: the sandbox, the Kalisto instance, the sessions and the mail sent. */
export interface TourState {
  sandbox: Sandbox;
  kalisto: Kalisto;
  /** App-only session (client credentials) for the sandbox's first mailbox. */
  appSession: KalistoSession;
  /** Delegated session (password grant) of a second user. */
  userSession: KalistoSession;
  /** The app-only session's properties with `mail.transport.protocol=graph` and `mail.store.protocol=graph`. */
  graphSession: KalistoSession;
  /** The mailbox the app-only session opens. */
  mailbox: string;
  /** The delegated user. */
  user: string;
  /** Subjects of the messages sent, in order. */
  subjects: string[];
  /** The message sent over graph: its Message-ID and the bytes nodemailer composed. */
  graphSent?: { messageId: string; source: Buffer };
}

/** The sandbox's properties moved to Microsoft Graph: two properties, nothing else. */
export function graphProperties(sandbox: Sandbox): PropertyMap {
  return { ...sandbox.properties, 'mail.transport.protocol': 'graph', 'mail.store.protocol': 'graph' };
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
