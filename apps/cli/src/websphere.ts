/**
 * Reads an exported WebSphere mail session — `resources.xml` (a `resources.mail:MailProvider` with
 * its `protocolProviders` and `factories xmi:type="resources.mail:MailSession"`, whose custom
 * properties are `propertySet/resourceProperties`) or a `.properties` export of the custom
 * properties — into Kalisto's property map.
 */
import { parseProperties } from '@kalisto/core';
import { usageError } from './errors.js';

/** One mail session found in the export. */
export interface WebsphereMailSession {
  /** The session's `name` attribute. */
  name: string;
  jndiName: string | undefined;
  /** Kalisto properties, in the order they were derived. */
  properties: Record<string, string>;
  /** Attributes that were present but not carried over (passwords), and why. */
  notes: string[];
}

interface ProtocolProvider {
  protocol: string;
  classname: string | undefined;
}

type XmlNode = Record<string, unknown>;

function asArray(value: unknown): XmlNode[] {
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [value]).filter(
    (v): v is XmlNode => typeof v === 'object' && v !== null,
  );
}

function attribute(node: XmlNode, name: string): string | undefined {
  const value = node[`@${name}`];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** Every element named `name` anywhere below `node` (namespace prefix ignored). */
function elements(node: unknown, name: string, found: XmlNode[] = []): XmlNode[] {
  if (Array.isArray(node)) {
    for (const item of node) elements(item, name, found);
    return found;
  }
  if (typeof node !== 'object' || node === null) return found;
  for (const [key, value] of Object.entries(node as XmlNode)) {
    if (key.startsWith('@')) continue;
    if (key === name || key.endsWith(`:${name}`)) found.push(...asArray(value));
    elements(value, name, found);
  }
  return found;
}

/** A reference to a protocol provider: `builtin_imap`, `resources.xml#builtin_imap`, or a child element's `href`. */
function reference(session: XmlNode, name: string): string | undefined {
  const direct = attribute(session, name);
  const child = asArray(session[name])[0];
  const ref = direct ?? (child ? attribute(child, 'href') : undefined);
  return ref?.slice(ref.lastIndexOf('#') + 1);
}

function isMailSession(node: XmlNode): boolean {
  return /(^|:)MailSession$/.test(attribute(node, 'xmi:type') ?? '');
}

/** The mail sessions of a WebSphere `resources.xml`. */
export async function parseResourcesXml(text: string): Promise<WebsphereMailSession[]> {
  const { XMLParser } = await import('fast-xml-parser');
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@',
    parseAttributeValue: false,
    parseTagValue: false,
    trimValues: true,
    processEntities: true,
  });
  let document: unknown;
  try {
    document = parser.parse(text, true);
  } catch (error) {
    throw usageError(`Not a valid resources.xml: ${(error as Error).message.split('\n')[0]}.`);
  }
  const providers = new Map<string, ProtocolProvider>();
  for (const node of elements(document, 'protocolProviders')) {
    const id = attribute(node, 'xmi:id');
    const protocol = attribute(node, 'protocol');
    if (id && protocol)
      providers.set(id, { protocol: protocol.toLowerCase(), classname: attribute(node, 'classname') });
  }
  const sessions = [
    ...elements(document, 'factories').filter(isMailSession),
    ...elements(document, 'mailSessions'),
  ];
  return sessions.map((session) => toKalisto(session, providers));
}

function toKalisto(session: XmlNode, providers: ReadonlyMap<string, ProtocolProvider>): WebsphereMailSession {
  const properties: Record<string, string> = {};
  const notes: string[] = [];
  const set = (name: string, value: string | undefined) => {
    if (value !== undefined) properties[name] = value;
  };
  const side = (kind: 'Store' | 'Transport', fallback: string) => {
    const provider = providers.get(reference(session, `mail${kind}Protocol`) ?? '');
    const protocol = provider?.protocol ?? fallback;
    set(`mail.${kind === 'Store' ? 'store' : 'transport'}.protocol`, provider?.protocol);
    set(`mail.${protocol}.class`, provider?.classname);
    const host = attribute(session, `mail${kind}Host`);
    set(`mail.${protocol}.host`, host);
    const port = attribute(session, `mail${kind}Port`);
    if (port !== undefined && port !== '0') set(`mail.${protocol}.port`, port);
    set(`mail.${protocol}.user`, attribute(session, `mail${kind}User`));
    if (attribute(session, `mail${kind}Password`) !== undefined) {
      notes.push(
        `mail${kind}Password was set but is not copied: Kalisto takes the password grant's password from o365.password and an app's secret from o365.oauth.clientSecret.`,
      );
    }
    return protocol;
  };
  const transport = side('Transport', 'smtp');
  side('Store', 'imap');
  set(`mail.${transport}.from`, attribute(session, 'mailFrom'));
  if (attribute(session, 'debug') === 'true') properties['mail.debug'] = 'true';
  for (const property of elements(session, 'resourceProperties')) {
    const name = attribute(property, 'name');
    const value = property['@value'];
    if (name !== undefined && typeof value === 'string') properties[name] = value;
  }
  return {
    name: attribute(session, 'name') ?? '(unnamed)',
    jndiName: attribute(session, 'jndiName'),
    properties,
    notes,
  };
}

/** A `.properties` export of a session's custom properties: one session, taken as it is. */
export function parseWebsphereProperties(text: string, name: string): WebsphereMailSession {
  return { name, jndiName: undefined, properties: { ...parseProperties(text) }, notes: [] };
}

/** Picks the session named (by name or JNDI name), or the only one. */
export function chooseSession(
  sessions: readonly WebsphereMailSession[],
  wanted: string | undefined,
): WebsphereMailSession {
  const names = sessions.map((s) => (s.jndiName ? `${s.name} (${s.jndiName})` : s.name)).join(', ');
  if (sessions.length === 0) {
    throw usageError(
      'No mail session in the file (looked for factories xmi:type="resources.mail:MailSession").',
      'Export the resources.xml of the scope that holds the mail session (cell, node, server or cluster).',
    );
  }
  if (wanted !== undefined) {
    const found = sessions.find((s) => s.name === wanted || s.jndiName === wanted);
    if (found) return found;
    throw usageError(`No mail session "${wanted}" in the file.`, `It has: ${names}.`);
  }
  if (sessions.length > 1)
    throw usageError(`The file has ${sessions.length} mail sessions.`, `Pick one with --session: ${names}.`);
  return sessions[0]!;
}
