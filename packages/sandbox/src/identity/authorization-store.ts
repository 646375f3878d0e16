/**
 * What the interactive sign-in remembers per sandbox: sign-ins in progress (between the pages),
 * issued authorization codes (single use, ten minutes) and the consents users gave on the consent page.
 * Kept beside `SandboxState` (keyed by it) so the directory state stays as it is.
 */
import { randomBytes } from 'node:crypto';
import type { SandboxApp, SandboxState, SandboxUser } from '../state.js';

/** Entra ID's authorization codes live about ten minutes. */
export const AUTHORIZATION_CODE_LIFETIME_MS = 10 * 60_000;
const SIGN_IN_LIFETIME_MS = 30 * 60_000;
const MAX_REMEMBERED = 1_000;

/** A sign-in between the authorize request and the redirect back to the app. */
export interface PendingSignIn {
  readonly id: string;
  readonly tenantId: string;
  readonly clientId: string;
  readonly redirectUri: string;
  readonly scope: string;
  readonly state: string | undefined;
  /** `query` (302 with the parameters in the URL) or `form_post` (an auto-submitting form, what msal-node asks for). */
  readonly responseMode: 'query' | 'form_post';
  readonly codeChallenge: string | undefined;
  readonly prompt: string | undefined;
  readonly loginHint: string | undefined;
  /** Epoch ms. */
  readonly expiresAt: number;
  /** Set once the password was right. */
  upn?: string;
  /** Set once the one-time code was right (MFA users only). */
  mfaDone?: boolean;
}

/** An issued authorization code. */
export interface AuthorizationCodeRecord {
  readonly tenantId: string;
  readonly clientId: string;
  readonly upn: string;
  readonly scope: string;
  readonly redirectUri: string;
  readonly codeChallenge: string | undefined;
  readonly amr: readonly string[];
  /** Epoch ms. */
  readonly expiresAt: number;
  redeemed: boolean;
}

interface Store {
  signIns: Map<string, PendingSignIn>;
  codes: Map<string, AuthorizationCodeRecord>;
  /** `clientId|upn` of every user consent. */
  consents: Set<string>;
}

const stores = new WeakMap<SandboxState, Store>();

function storeOf(state: SandboxState): Store {
  let store = stores.get(state);
  if (!store) {
    store = { signIns: new Map(), codes: new Map(), consents: new Set() };
    stores.set(state, store);
  }
  return store;
}

function prune<V extends { expiresAt: number }>(map: Map<string, V>, now: number): void {
  if (map.size <= MAX_REMEMBERED) return;
  for (const [key, value] of map) if (value.expiresAt <= now) map.delete(key);
}

/** Starts a sign-in; its id travels in the pages' forms. */
export function beginSignIn(
  state: SandboxState,
  signIn: Omit<PendingSignIn, 'id' | 'expiresAt'>,
): PendingSignIn {
  const { signIns } = storeOf(state);
  prune(signIns, state.now());
  const record: PendingSignIn = {
    ...signIn,
    id: randomBytes(18).toString('base64url'),
    expiresAt: state.now() + SIGN_IN_LIFETIME_MS,
  };
  signIns.set(record.id, record);
  return record;
}

/** The sign-in `id` names, while it lasts. */
export function findSignIn(state: SandboxState, id: string): PendingSignIn | undefined {
  const record = storeOf(state).signIns.get(id);
  return record && record.expiresAt > state.now() ? record : undefined;
}

/** Ends a sign-in (redirected back, with a code or an error). */
export function endSignIn(state: SandboxState, id: string): void {
  storeOf(state).signIns.delete(id);
}

/** Issues an authorization code for a finished sign-in. */
export function issueCode(
  state: SandboxState,
  record: Omit<AuthorizationCodeRecord, 'expiresAt' | 'redeemed'>,
): string {
  const { codes } = storeOf(state);
  prune(codes, state.now());
  const code = `SBXAC${randomBytes(32).toString('base64url')}`;
  codes.set(code, { ...record, expiresAt: state.now() + AUTHORIZATION_CODE_LIFETIME_MS, redeemed: false });
  return code;
}

/** The record of an issued code (redeemed or not). */
export function findCode(state: SandboxState, code: string): AuthorizationCodeRecord | undefined {
  return storeOf(state).codes.get(code);
}

/** The user accepted the consent page for this app. */
export function recordUserConsent(state: SandboxState, app: SandboxApp, upn: string): void {
  storeOf(state).consents.add(`${app.clientId}|${upn.toLowerCase()}`);
}

/** Whether `user` consented to `app` on the consent page. */
export function hasUserConsent(state: SandboxState, app: SandboxApp, user: SandboxUser): boolean {
  return storeOf(state).consents.has(`${app.clientId}|${user.upn}`);
}
