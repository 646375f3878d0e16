/**
 * A self-signed RSA certificate for an app's certificate credential, as `New-SelfSignedCertificate`
 * would make: the sandbox registers the certificate, the client keeps the private key and signs
 * client assertions with it.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export interface AppCertificate {
  /** The certificate, PEM: register it with the app. */
  certificate: string;
  /** PKCS#8 private key, PEM: give it to the client (MSAL `clientCertificate.privateKey`). */
  privateKey: string;
  /** SHA-1 thumbprint, upper-case hex. */
  thumbprint: string;
  /** SHA-256 thumbprint, upper-case hex (MSAL `clientCertificate.thumbprintSha256`). */
  thumbprintSha256: string;
}

const RSA = {
  name: 'RSASSA-PKCS1-v1_5',
  hash: 'SHA-256',
  publicExponent: new Uint8Array([1, 0, 1]),
  modulusLength: 2048,
} as const;

function pem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n');
  return `-----BEGIN ${label}-----\n${b64.trimEnd()}\n-----END ${label}-----\n`;
}

async function thumbprintHex(cert: x509.X509Certificate, algorithm: 'SHA-1' | 'SHA-256'): Promise<string> {
  return Buffer.from(await cert.getThumbprint(algorithm))
    .toString('hex')
    .toUpperCase();
}

/** Generates an RSA-2048 key and a self-signed certificate for `CN=<subject>`, valid 1 year. */
export async function createAppCertificate(subject = 'Kalisto Sandbox App'): Promise<AppCertificate> {
  const keys = (await webcrypto.subtle.generateKey(RSA, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '03',
    name: `CN=${subject}`,
    notBefore: new Date(now - 86_400_000),
    notAfter: new Date(now + 365 * 86_400_000),
    keys,
    signingAlgorithm: RSA,
  });
  return {
    certificate: cert.toString('pem'),
    privateKey: pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)),
    thumbprint: await thumbprintHex(cert, 'SHA-1'),
    thumbprintSha256: await thumbprintHex(cert, 'SHA-256'),
  };
}
