import { createHash, X509Certificate } from 'node:crypto';
import type { PropertyReader } from './property-reader.js';
import type { Secret } from './secret.js';

export const CERT_THUMBPRINT = 'o365.oauth.certificate.thumbprint';
export const CERT_KEY = 'o365.oauth.certificate.privateKey';
export const CLIENT_SECRET_EXPIRES = 'o365.oauth.clientSecret.expires';

/** The ISO 8601 forms `o365.oauth.clientSecret.expires` takes: a date, or a date-time with its offset. */
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const ISO_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i;

/** What a malformed expiry date is told to look like. */
export const EXPIRY_DATE_EXAMPLE =
  'an ISO 8601 date such as 2027-03-31 (the Expires column of the app registration\'s "Certificates & secrets"; 3/31/2027 is written 2027-03-31), or a date-time with its offset such as 2027-03-31T14:00:00Z';

/**
 * Epoch ms of an ISO 8601 date or date-time, or undefined when the text is not one (or names a day
 * that does not exist, such as 2027-02-30). A date alone means the start of that day in UTC: the
 * portal shows only the day, and warning a few hours early is better than a few hours late.
 */
export function parseExpiryDate(text: string): number | undefined {
  const match = ISO_DATE.exec(text) ?? ISO_DATE_TIME.exec(text);
  if (match === null) return undefined;
  const [, year, month, day, hour = '00', minute = '00', second = '00'] = match;
  if (Number(hour) > 23 || Number(minute) > 59 || Number(second) > 59) return undefined;
  const calendar = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
  if (calendar.getUTCMonth() !== Number(month) - 1 || calendar.getUTCDate() !== Number(day)) return undefined;
  const time = Date.parse(match[4] === undefined ? `${text}T00:00:00Z` : text.toUpperCase());
  return Number.isNaN(time) ? undefined : time;
}

const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The certificate's expiry as read from a PEM bundle, and whether its thumbprint matched. */
export interface CertificateDates {
  /** `notAfter`, epoch ms. */
  readonly notAfter: number;
  /** The bundle's certificate with this thumbprint was found (else the first certificate was read). */
  readonly matched: boolean;
}

/**
 * The `notAfter` of the certificate a thumbprint names, read from a PEM that carries it next to the
 * private key (what `openssl pkcs12 -in app.pfx -nodes` writes). Undefined when the PEM holds no
 * certificate. When none has the thumbprint, the first certificate's dates with `matched: false`.
 */
export function certificateDates(pem: string, thumbprint: string): CertificateDates | undefined {
  const wanted = thumbprint.replace(/[^0-9a-f]/gi, '').toLowerCase();
  let first: number | undefined;
  for (const block of pem.match(CERTIFICATE_BLOCK) ?? []) {
    let certificate: X509Certificate;
    try {
      certificate = new X509Certificate(block);
    } catch {
      continue;
    }
    const notAfter = Date.parse(certificate.validTo);
    if (Number.isNaN(notAfter)) continue;
    first ??= notAfter;
    if (wanted === sha(certificate, 'sha1') || wanted === sha(certificate, 'sha256')) {
      return { notAfter, matched: true };
    }
  }
  return first === undefined ? undefined : { notAfter: first, matched: false };
}

function sha(certificate: X509Certificate, algorithm: 'sha1' | 'sha256'): string {
  return createHash(algorithm).update(certificate.raw).digest('hex');
}

/** `clientSecretExpiresAt` from `o365.oauth.clientSecret.expires`; a malformed date is an issue. */
export function clientSecretExpiry(reader: PropertyReader): { clientSecretExpiresAt?: number } {
  const text = reader.string(CLIENT_SECRET_EXPIRES);
  if (text === undefined) return {};
  const expiresAt = parseExpiryDate(text);
  if (expiresAt === undefined) {
    reader.issue(CLIENT_SECRET_EXPIRES, EXPIRY_DATE_EXAMPLE);
    return {};
  }
  return { clientSecretExpiresAt: expiresAt };
}

/**
 * The certificate credential's `notAfter` when its PEM carries the certificate; a warning when the
 * bundle's certificates all have another thumbprint (the key then probably belongs to another one).
 */
export function certificateExpiry(
  reader: PropertyReader,
  privateKey: Secret,
  thumbprint: string,
): number | undefined {
  const dates = certificateDates(privateKey.reveal(), thumbprint);
  if (dates === undefined) return undefined;
  if (!dates.matched) {
    reader.warn(
      CERT_THUMBPRINT,
      `no certificate in ${CERT_KEY} has this thumbprint: check that the key and the thumbprint belong to the certificate uploaded to the app registration`,
    );
    return undefined;
  }
  return dates.notAfter;
}
