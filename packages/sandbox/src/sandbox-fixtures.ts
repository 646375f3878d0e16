/** The names and credentials of the default directory, as tests and the CLI show them. */
import type { AppCertificate } from './identity/app-certificate.js';
import { FIXTURE, fixturePassword, seededGuid, seededSecret } from './options.js';
import type { SandboxState } from './state.js';

/** Names and credentials of the default directory (seeded; test fixtures, not secrets). */
export interface SandboxFixtures {
  tenant: { id: string; domain: string };
  foreignTenant: { id: string; domain: string };
  /** Confidential daemon app: secret, an expired secret, a certificate; Exchange app roles; SP registered; FullAccess on every mailbox. */
  confidentialApp: {
    clientId: string;
    objectId: string;
    secret: string;
    secretId: string;
    expiredSecret: string;
    certificate: AppCertificate;
  };
  /** Public desktop app ("Allow public client flows"): delegated IMAP/POP/SMTP scopes with admin consent. */
  publicApp: { clientId: string };
  /** App without admin consent (public flows allowed, also has a secret). */
  unconsentedApp: { clientId: string; secret: string };
  /** The foreign tenant's app (secret; app roles; SP registered there). */
  foreignApp: { clientId: string; secret: string };
  users: Record<keyof typeof FIXTURE.users, { upn: string; password: string }>;
  /** Shared mailbox with FullAccess and SendAs for megan. */
  sharedMailbox: string;
  /** Microsoft Graph: apps and mailboxes behind each Graph error (see docs/sandbox.md). */
  graph: SandboxGraphFixtures;
}

/** The Graph error fixtures of the default directory. */
export interface SandboxGraphFixtures {
  /** App with the Graph application permission Mail.Read only (secret): sending answers 403 ErrorAccessDenied. */
  readOnlyApp: { clientId: string; secret: string };
  /** An application access policy (DenyAccess) keeps the daemon app out: 403 ErrorAccessDenied (RAOP). */
  policyDeniedMailbox: string;
  /** Graph answers 404 MailboxNotEnabledForRESTAPI (as for a mailbox hosted on-premises). */
  restApiDisabledMailbox: string;
  /** Over its quota: sendMail, drafts, uploads answer 507 ErrorQuotaExceeded. */
  quotaExceededMailbox: string;
  /** Not in the directory: 404 ErrorInvalidUser. */
  unknownUser: string;
  /** Sending from `mailbox` with `from` in the From header answers 403 ErrorSendAsDenied (no SendAs grant). */
  sendAsDenied: { mailbox: string; from: string };
}

/** The fixtures of `defaultDirectory(seed)` as resolved in `state`. */
export function defaultFixtures(
  seed: number,
  state: SandboxState,
  certificate: AppCertificate,
): SandboxFixtures {
  const users = Object.fromEntries(
    Object.entries(FIXTURE.users).map(([name, upn]) => [name, { upn, password: fixturePassword(upn, seed) }]),
  ) as SandboxFixtures['users'];
  const contoso = state.findTenant(FIXTURE.domain);
  const fabrikam = state.findTenant(FIXTURE.foreignDomain);
  if (!contoso || !fabrikam) throw new Error('default directory is incomplete');
  return {
    tenant: { id: contoso.id, domain: contoso.domain },
    foreignTenant: { id: fabrikam.id, domain: fabrikam.domain },
    confidentialApp: {
      clientId: seededGuid(seed, 'app:daemon'),
      objectId: seededGuid(seed, 'sp:daemon'),
      secret: seededSecret(seed, 'daemon'),
      secretId: seededGuid(seed, 'secret:daemon'),
      expiredSecret: seededSecret(seed, 'daemon-old'),
      certificate,
    },
    publicApp: { clientId: seededGuid(seed, 'app:desktop') },
    unconsentedApp: {
      clientId: seededGuid(seed, 'app:unconsented'),
      secret: seededSecret(seed, 'unconsented'),
    },
    foreignApp: { clientId: seededGuid(seed, 'app:fabrikam'), secret: seededSecret(seed, 'fabrikam') },
    users,
    sharedMailbox: FIXTURE.sharedMailbox,
    graph: {
      readOnlyApp: {
        clientId: seededGuid(seed, 'app:graph-reader'),
        secret: seededSecret(seed, 'graph-reader'),
      },
      policyDeniedMailbox: FIXTURE.graph.policyDeniedMailbox,
      restApiDisabledMailbox: FIXTURE.graph.restApiDisabledMailbox,
      quotaExceededMailbox: FIXTURE.graph.quotaExceededMailbox,
      unknownUser: FIXTURE.graph.unknownUser,
      sendAsDenied: { mailbox: FIXTURE.users.adele, from: FIXTURE.sharedMailbox },
    },
  };
}
