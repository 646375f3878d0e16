import { X509Certificate } from 'node:crypto';
import type { PropertyReader } from './property-reader.js';
import { resolveReference } from './secret-references.js';

const NAME = 'kalisto.tls.ca';
const BEGIN = '-----BEGIN CERTIFICATE-----';
const END = '-----END CERTIFICATE-----';

/** The PEM certificate blocks of `text` in order (an unterminated last one as it is), in one pass. */
function certificateBlocks(text: string): string[] {
  const blocks: string[] = [];
  for (let at = text.indexOf(BEGIN); at !== -1; ) {
    const end = text.indexOf(END, at + BEGIN.length);
    if (end === -1) {
      blocks.push(text.slice(at));
      break;
    }
    blocks.push(text.slice(at, end + END.length));
    at = text.indexOf(BEGIN, end + END.length);
  }
  return blocks;
}

function isCertificate(block: string): boolean {
  try {
    new X509Certificate(block);
    return true;
  } catch {
    return false;
  }
}

/**
 * `kalisto.tls.ca`: PEM text, or `file:PATH`/`env:NAME` of it, holding at least one certificate,
 * every one of which parses as X.509 — so a garbage CA fails now, naming the property, not at the
 * first TLS handshake. Text around the blocks (a bundle's comments) is allowed.
 */
export function readTlsCa(
  reader: PropertyReader,
  env: Readonly<Record<string, string | undefined>>,
): string | undefined {
  const given = reader.string(NAME);
  if (given === undefined) return undefined;
  const resolved = resolveReference(given, env);
  if ('problem' in resolved) {
    reader.issue(NAME, resolved.problem);
    return undefined;
  }
  const blocks = certificateBlocks(resolved.value);
  if (blocks.length === 0) {
    reader.issue(NAME, `PEM certificates (${BEGIN}), or file:PATH of a PEM file`);
    return undefined;
  }
  const bad = blocks.findIndex((block) => !isCertificate(block));
  if (bad !== -1) {
    reader.issue(
      NAME,
      `PEM X.509 certificates, but certificate ${bad + 1} of ${blocks.length} is not a valid X.509 certificate`,
    );
    return undefined;
  }
  return resolved.value;
}
