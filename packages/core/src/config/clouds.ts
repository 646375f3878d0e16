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
  },
  usgov: {
    authorityHost: 'https://login.microsoftonline.us',
    mailHost: 'outlook.office365.us',
    smtpHost: 'smtp.office365.us',
    delegatedResource: 'https://outlook.office365.us',
    appResource: 'https://outlook.office365.us',
  },
  usgovdod: {
    authorityHost: 'https://login.microsoftonline.us',
    mailHost: 'outlook-dod.office365.us',
    smtpHost: 'outlook-dod.office365.us',
    delegatedResource: 'https://outlook-dod.office365.us',
    appResource: 'https://outlook-dod.office365.us',
  },
  china: {
    authorityHost: 'https://login.partner.microsoftonline.cn',
    mailHost: 'partner.outlook.cn',
    smtpHost: 'smtp.partner.outlook.cn',
    delegatedResource: 'https://partner.outlook.cn',
    appResource: 'https://partner.outlook.cn',
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
  };
}

/** The default scope for a flow in a cloud: app-only flows use the app resource. */
export function defaultScope(cloud: CloudName, appOnly: boolean): string {
  const preset = CLOUD_PRESETS[cloud];
  return `${appOnly ? preset.appResource : preset.delegatedResource}/.default`;
}
