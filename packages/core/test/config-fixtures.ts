/** Fixtures shared by the configuration tests. */
import { ConfigError } from '../src/errors/errors.js';
import { type ConfigInput, type ResolveConfigOptions, resolveConfig } from '../src/index.js';

export const TENANT = '161ee23e-798c-481d-975a-39345f76032a';
export const CLIENT_ID = '782d2e03-9066-4d59-ab6a-a2cfbc0212a1';

/** A client-credentials configuration that resolves: tenant, client id and the secret `app-secret`. */
export const APP = {
  'o365.oauth.tenant': TENANT,
  'o365.oauth.clientId': CLIENT_ID,
  'o365.oauth.clientSecret': 'app-secret',
} as const;

/** The ConfigError `run` throws; anything else it throws is rethrown, and returning fails the test. */
export function configErrorOf(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

/** The ConfigError resolving `input` throws. */
export const resolveError = (input: ConfigInput, options?: ResolveConfigOptions): ConfigError =>
  configErrorOf(() => resolveConfig(input, options));

/** Secrets the tests look for in every printed or serialised form; none may ever appear. */
export const CONFIG_SECRETS = {
  password: 'Fixture-Pa55word!',
  clientSecret: 'fixture~client~secret~value',
  privateKey: '-----BEGIN PRIVATE KEY-----\nFIXTUREKEYMATERIAL\n-----END PRIVATE KEY-----',
} as const;

/** The Java installation guide's example mail-session properties, as an administrator pastes them. */
export const JAVA_GUIDE_EXAMPLE = `websphere.cache=services/cache/tokenO365
security.encoder.class=com.ibm.ws.security.util.WSEncoderDecoder
o365.user=scichy@<domain_name>
o365.password=secret
o365.oauth.tenant=161ee23e-798c-481d-975a-39345f76032a
o365.oauth.clientId=782d2e03-9066-4d59-ab6a-a2cfbc0212a1
o365.oauth.clientSecret=secret
mail.smtp.user=scichy@<domain_name>
mail.store.protocol=imap
mail.imap.class=pl.slawas.mail.outlook.store.OutlookStore
mail.imap.mailbox.timeout=10000
mail.transport.protocol=smtp
mail.smtp.class=pl.slawas.mail.outlook.smtp.OutlookTransport
o365.oauth.url=https://login.microsoftonline.com/%s/oauth2/v2.0/token
o365.oauth.scope=https://outlook.office.com/.default
mail.imap.ssl.enable=true
mail.imap.ssl.protocols=TLSv1.2
mail.imap.sasl.enable=true
mail.imap.sasl.mechanisms=XOAUTH2
mail.imap.auth.login.disable=true
mail.imap.auth.plain.disable=true
mail.imap.host=outlook.office365.com
mail.imap.port=993
mail.smtp.starttls.enable=true
mail.smtp.socketFactory.fallback=true
mail.smtp.ssl.enable=false
mail.smtp.ssl.protocols=TLSv1.2
mail.smtp.auth=true
mail.smtp.sasl.enable=true
mail.smtp.sasl.mechanisms=XOAUTH2
mail.smtp.auth.login.disable=true
mail.smtp.auth.plain.disable=true
mail.smtp.host=smtp.office365.com
mail.smtp.port=587
`;

/** A real self-signed CA certificate (P-256, valid until 2126) for `kalisto.tls.ca`; its key was thrown away. */
export const TEST_CA_PEM = `-----BEGIN CERTIFICATE-----
MIIBizCCATGgAwIBAgIUesV3/jBZ+/KYGsna2z3OEiVqGBIwCgYIKoZIzj0EAwIw
GjEYMBYGA1UEAwwPS2FsaXN0byB0ZXN0IENBMCAXDTI2MTIwMzEzNDUzOFoYDzIx
MjYxMTA5MTM0NTM4WjAaMRgwFgYDVQQDDA9LYWxpc3RvIHRlc3QgQ0EwWTATBgcq
hkjOPQIBBggqhkjOPQMBBwNCAATjcSclVyYmAFGEnAkgs6hMD+rLMl5kCClz+faO
U2umuEwF1lhSGYPfDwQCqj5hoQ6dwt0PAR8K9PfGSaIXvp47o1MwUTAdBgNVHQ4E
FgQU/huq4TRKVz0e3vjQP4hvY4sZtp4wHwYDVR0jBBgwFoAU/huq4TRKVz0e3vjQ
P4hvY4sZtp4wDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNIADBFAiBgamPt
UPrkm328zBLU0OAa+qlHJ4Ysdl7DjPCFA1SJrAIhAIY0FF27sRCnDu0zml/pc2PA
GIO1VVjg5E0lhQzyZVMj
-----END CERTIFICATE-----`;
