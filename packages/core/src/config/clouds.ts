import type { CloudName } from './types.js';

/** The endpoints of one Microsoft 365 cloud. */
export interface CloudPreset {
  /** Identity platform authority host URL. */
  readonly authorityHost: string;
  /** IMAP and POP3 host. */
  readonly mailHost: string;
  /** SMTP submission host. */
  readonly smtpHost: string;
  /** Resource of delegated (user) tokens: scope `${delegatedResource}/.default`. */
  readonly delegatedResource: string;
  /** Resource of app-only tokens (client credentials, managed identity). */
  readonly appResource: string;
  /** Microsoft Graph host (`mail.graph.host`); also Graph's token resource, `https://<graphHost>`. */
  readonly graphHost: string;
}

/**
 * Endpoints per cloud (reference/errors.md, "Scopes and hosts"). For china the sources disagree on
 * the SMTP host: `mail.smtp.host` / `mail.smtps.host` in the input override the preset.
 */
export const CLOUD_PRESETS: Readonly<Record<CloudName, CloudPreset>> = {
  global: {
    authorityHost: 'https://login.microsoftonline.com',
    mailHost: 'outlook.office365.com',
    smtpHost: 'smtp.office365.com',
    delegatedResource: 'https://outlook.office.com',
    appResource: 'https://outlook.office365.com',
    graphHost: 'graph.microsoft.com',
  },
  usgov: {
    authorityHost: 'https://login.microsoftonline.us',
    mailHost: 'outlook.office365.us',
    smtpHost: 'smtp.office365.us',
    delegatedResource: 'https://outlook.office365.us',
    appResource: 'https://outlook.office365.us',
    graphHost: 'graph.microsoft.us',
  },
  usgovdod: {
    authorityHost: 'https://login.microsoftonline.us',
    mailHost: 'outlook-dod.office365.us',
    smtpHost: 'outlook-dod.office365.us',
    delegatedResource: 'https://outlook-dod.office365.us',
    appResource: 'https://outlook-dod.office365.us',
    graphHost: 'dod-graph.microsoft.us',
  },
  china: {
    authorityHost: 'https://login.partner.microsoftonline.cn',
    mailHost: 'partner.outlook.cn',
    smtpHost: 'smtp.partner.outlook.cn',
    delegatedResource: 'https://partner.outlook.cn',
    appResource: 'https://partner.outlook.cn',
    graphHost: 'microsoftgraph.chinacloudapi.cn',
  },
};

/**
 * The properties a cloud preset sets (the `cloud` layer, below input and environment). The token
 * URL is not among them: it follows `o365.oauth.authority`, whichever layer set that.
 */
export function cloudProperties(cloud: CloudName): Record<string, string> {
  const preset = CLOUD_PRESETS[cloud];
  return {
    'o365.oauth.authority': preset.authorityHost,
    'mail.imap.host': preset.mailHost,
    'mail.imaps.host': preset.mailHost,
    'mail.pop3.host': preset.mailHost,
    'mail.pop3s.host': preset.mailHost,
    'mail.smtp.host': preset.smtpHost,
    'mail.smtps.host': preset.smtpHost,
    'mail.graph.host': preset.graphHost,
  };
}

/** The default scope for a flow in a cloud: app-only flows use the app resource. */
export function defaultScope(cloud: CloudName, appOnly: boolean): string {
  const preset = CLOUD_PRESETS[cloud];
  return `${appOnly ? preset.appResource : preset.delegatedResource}/.default`;
}

/**
 * The default `mail.graph.scope` for a flow in a cloud. App-only: `https://<graphHost>/.default`
 * (the application permissions granted to the app). Delegated: Mail.ReadWrite and Mail.Send of
 * Graph, and `offline_access` for a refresh token. The resource is the cloud's Graph host, never
 * `mail.graph.host` (a test server or a proxy in front of Graph still takes Graph's tokens).
 */
export function defaultGraphScope(cloud: CloudName, appOnly: boolean): string {
  const resource = `https://${CLOUD_PRESETS[cloud].graphHost}`;
  return appOnly ? `${resource}/.default` : `${resource}/Mail.ReadWrite ${resource}/Mail.Send offline_access`;
}
