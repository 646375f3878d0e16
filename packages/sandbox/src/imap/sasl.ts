/** The `+` challenge Exchange (and Gmail) send before refusing an XOAUTH2/OAUTHBEARER token. */
export function oauthErrorChallenge(scope: string): string {
  return Buffer.from(JSON.stringify({ status: '401', schemes: 'bearer', scope })).toString('base64');
}
