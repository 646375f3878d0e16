// sasl/ — the XOAUTH2/OAUTHBEARER payloads our protocol clients send, and the error challenge a
// server answers a refused token with.

export {
  encodeSaslErrorChallenge,
  type OAuthBearerCredentials,
  oauthBearerInitialResponse,
  parseSaslErrorChallenge,
  type SaslAuthExchange,
  type SaslErrorChallenge,
  type SaslMechanism,
  type SaslProtocol,
  saslAuthCommand,
  saslErrorAcknowledgement,
  type XOAuth2Credentials,
  xoauth2InitialResponse,
} from './payloads.js';
