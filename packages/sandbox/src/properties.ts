/**
 * A JavaMail-style property map (the WebSphere mail-session table Kalisto reads) pointing every
 * host, port and URL at a running sandbox, and its `.properties` text.
 */

export interface MailEndpoint {
  readonly host: string;
  readonly port: number;
}

/** The six mail endpoints of a sandbox whose mail servers run. */
export interface MailEndpoints {
  imap: MailEndpoint;
  imaps: MailEndpoint;
  pop3: MailEndpoint;
  pop3s: MailEndpoint;
  smtp: MailEndpoint;
  smtps: MailEndpoint;
}

export interface PropertyTarget {
  authority: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  user: string;
  ca: string;
  /**
   * Where the mail servers listen; absent when they were not started (`mail: false`): the
   * host, port, SSL and STARTTLS properties are then left out, so every protocol keeps its default.
   */
  mail?: MailEndpoints;
  /** Where Microsoft Graph listens (`mail.graph.host`, `mail.graph.port`); absent when not started. */
  graph?: MailEndpoint;
}

const MAIL_PROTOCOLS = [
  ['imap', false],
  ['imaps', true],
  ['pop3', false],
  ['pop3s', true],
  ['smtp', false],
  ['smtps', true],
] as const;

/** Client credentials for the app, every protocol pointing here; plain ports use STARTTLS. */
export function sandboxProperties(t: PropertyTarget): Record<string, string> {
  const mail = (protocol: keyof MailEndpoints, implicitTls: boolean): Record<string, string> => {
    const endpoint = t.mail?.[protocol];
    return {
      ...(endpoint && {
        [`mail.${protocol}.host`]: endpoint.host,
        [`mail.${protocol}.port`]: String(endpoint.port),
        [`mail.${protocol}.ssl.enable`]: String(implicitTls),
        [`mail.${protocol}.starttls.enable`]: String(!implicitTls),
      }),
      [`mail.${protocol}.sasl.enable`]: 'true',
      [`mail.${protocol}.sasl.mechanisms`]: 'XOAUTH2',
    };
  };
  return {
    'o365.oauth.authority': t.authority,
    'o365.oauth.tenant': t.tenantId,
    'o365.oauth.clientId': t.clientId,
    'o365.oauth.clientSecret': t.clientSecret,
    'o365.oauth.url': `${t.authority}/%s/oauth2/v2.0/token`,
    'o365.oauth.scope': 'https://outlook.office365.com/.default',
    'o365.oauth.flow': 'client_credentials',
    'o365.user': t.user,
    'mail.smtp.user': t.user,
    'mail.store.protocol': 'imaps',
    'mail.transport.protocol': 'smtp',
    ...Object.fromEntries(
      MAIL_PROTOCOLS.flatMap(([protocol, implicitTls]) => Object.entries(mail(protocol, implicitTls))),
    ),
    'mail.smtp.auth': 'true',
    'mail.smtps.auth': 'true',
    ...(t.graph && {
      'mail.graph.host': t.graph.host,
      'mail.graph.port': String(t.graph.port),
    }),
    'kalisto.tls.ca': t.ca,
  };
}

function escapeProperty(text: string, isKey: boolean): string {
  let out = text
    .replace(/\\/g, '\\\\')
    .replace(/\r/g, '\\r')
    .replace(/\n/g, '\\n')
    .replace(/\t/g, '\\t')
    .replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (isKey) out = out.replace(/[ =:#!]/g, (c) => `\\${c}`);
  else out = out.replace(/^ /, '\\ ').replace(/^([#!])/, '\\$1');
  return out;
}

/** The map as a `.properties` file (java.util.Properties escapes; the CA PEM on one line). */
export function propertiesText(properties: Readonly<Record<string, string>>): string {
  const lines = Object.entries(properties).map(
    ([k, v]) => `${escapeProperty(k, true)}=${escapeProperty(v, false)}`,
  );
  return `# Kalisto sandbox\n${lines.join('\n')}\n`;
}
