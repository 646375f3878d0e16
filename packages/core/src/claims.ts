/** The parts of an access token's (unverified) payload that explain a refusal. */
export interface TokenClaimsSummary {
  aud?: string;
  tid?: string;
  /** upn, else preferred_username, else unique_name. */
  user?: string;
  appId?: string;
  /** Delegated permissions (`scp`, split on spaces). */
  scp: readonly string[];
  /** Application permissions (`roles`). */
  roles: readonly string[];
  /** Expiry, epoch ms. */
  expiresAt?: number;
}

export type ClaimsFindingCode =
  | 'GRAPH_AUDIENCE'
  | 'WRONG_AUDIENCE'
  | 'MISSING_PERMISSION'
  | 'USER_MISMATCH'
  | 'EXPIRED'
  | 'WRONG_TENANT'
  | 'NOT_A_JWT';

export interface ClaimsFinding {
  code: ClaimsFindingCode;
  /** What is wrong and what to do, in words. */
  message: string;
}
