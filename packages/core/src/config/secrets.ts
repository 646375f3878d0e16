import { isKalistoError } from '../errors/errors.js';
import type { PropertyReader } from './property-reader.js';
import { PROPERTY_TABLE } from './property-table.js';
import { Secret } from './secret.js';
import { BUILT_IN_SECRET_DECODERS, decoderNames, type SecretDecoder } from './secret-decoders.js';
import { resolveReference } from './secret-references.js';

const SECRET_PROPERTIES = PROPERTY_TABLE.filter((row) => row.kind === 'secret').map((row) => row.name);
const ENCODER = 'security.encoder.class';

/** The decoder `security.encoder.class` names, among the user's and the built-in ones. */
function selectDecoder(
  reader: PropertyReader,
  userDecoders: readonly SecretDecoder[],
): SecretDecoder | undefined {
  const decoders = [...userDecoders, ...BUILT_IN_SECRET_DECODERS];
  const seen = new Set<string>();
  for (const name of decoders.flatMap(decoderNames)) {
    if (seen.has(name))
      reader.issue(ENCODER, `distinct secret decoder names, but "${name}" is registered twice`, false);
    seen.add(name);
  }
  const name = reader.string(ENCODER) ?? 'plain';
  const decoder = decoders.find((d) => decoderNames(d).includes(name));
  if (decoder === undefined) reader.issue(ENCODER, `the name of a secret decoder: ${[...seen].join(', ')}`);
  return decoder;
}

/**
 * Decodes the secret properties: a value `env:NAME` or `file:PATH` is first replaced by what it
 * refers to (`env` is the environment to read), then the decoder named by
 * `security.encoder.class` decodes the result. A value given empty means "not set"; one that
 * resolves or decodes to nothing or blanks is an issue. Problems become issues; no decoded value,
 * and no message of a non-Kalisto error (it might quote the value), ever reaches an issue.
 */
export function decodeSecrets(
  reader: PropertyReader,
  userDecoders: readonly SecretDecoder[],
  env: Readonly<Record<string, string | undefined>>,
): Map<string, Secret> {
  const decoder = selectDecoder(reader, userDecoders);
  const secrets = new Map<string, Secret>();
  for (const property of SECRET_PROPERTIES) {
    const raw = reader.raw(property);
    if (raw === undefined || raw === '') continue;
    const resolved = resolveReference(raw, env);
    if ('problem' in resolved) {
      // A reference names where the secret is, not the secret: showing it helps.
      reader.issues.push({ property, value: raw, expected: resolved.problem });
      continue;
    }
    if (decoder === undefined) continue;
    let decoded: string;
    try {
      decoded = decoder.decode(resolved.value, { property });
    } catch (error) {
      const reason = isKalistoError(error) ? `: ${error.message}` : '';
      reader.issue(property, `a value the ${decoder.name} decoder accepts${reason}`);
      continue;
    }
    // An empty secret would reach the identity platform as one (or make a library fail obscurely).
    if (decoded.trim() === '') {
      reader.issue(
        property,
        'a secret that is not empty or only blanks (remove the property if there is none)',
      );
      continue;
    }
    secrets.set(property, new Secret(decoded));
  }
  return secrets;
}
