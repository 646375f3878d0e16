/** Every credential of the sandbox's fixtures, and the refresh tokens it issued: none may be printed. */
import type { Sandbox } from '@kalisto/sandbox';

export function fixtureSecrets(sandbox: Sandbox): Record<string, string> {
  const f = sandbox.fixtures;
  const secrets: Record<string, string> = {
    'confidential app secret': f.confidentialApp.secret,
    'expired app secret': f.confidentialApp.expiredSecret,
    'unconsented app secret': f.unconsentedApp.secret,
    'foreign app secret': f.foreignApp.secret,
    'certificate private key': f.confidentialApp.certificate.privateKey.split('\n')[1] ?? '',
  };
  for (const [name, user] of Object.entries(f.users)) secrets[`${name}'s password`] = user.password;
  let n = 0;
  for (const refreshToken of sandbox.state.refreshTokens.keys())
    secrets[`refresh token #${++n}`] = refreshToken;
  return secrets;
}
