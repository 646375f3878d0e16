/**
 * `/{tenant}/oauth2/v2.0/authorize`: the authorization code flow's browser half, as Entra ID runs
 * it for public clients — a loopback `redirect_uri` (http://localhost or http://127.0.0.1, any
 * port), PKCE S256, a sign-in page (user + password of a sandbox user), a one-time-code page for
 * users who need MFA, a consent page for apps without admin consent, then a redirect with `code`
 * and `state` — or with Entra's `error`/`error_description` (AADSTS65004 when the user cancels,
 * AADSTS65001 when consent is needed but `prompt=none`).
 */
import type { ServerResponse } from 'node:http';
import type { SandboxApp, SandboxState, SandboxTenant, SandboxUser } from '../state.js';
import { AadstsError, aadstsBody } from './aadsts.js';
import {
  beginSignIn,
  endSignIn,
  findSignIn,
  hasUserConsent,
  issueCode,
  type PendingSignIn,
  recordUserConsent,
} from './authorization-store.js';
import { parseScopes } from './scopes.js';

/** The one-time code every MFA user of the sandbox "receives" (the page says so: a fixture, not a secret). */
export const SANDBOX_MFA_CODE = '246810';

/** What the endpoint needs from the identity server. */
export interface AuthorizeContext {
  state: SandboxState;
  /** Query (GET) or form (POST) fields. */
  params: URLSearchParams;
  method: string;
  /** The `{tenant}` path segment as sent. */
  tenantSegment: string;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function sendPage(res: ServerResponse, status: number, title: string, body: string) {
  const page = `<!doctype html><meta charset="utf-8"><title>${escapeHtml(title)}</title><body><h1>${escapeHtml(title)}</h1>${body}</body>`;
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(page),
  });
  res.end(page);
}

/** Entra's error page, for requests it cannot redirect back (unknown tenant/app, unregistered redirect URI). */
function errorPage(res: ServerResponse, state: SandboxState, error: AadstsError) {
  const body = aadstsBody(error, new Date(state.now()));
  sendPage(
    res,
    error.status,
    'Sign in: something went wrong',
    `<p id="error">${escapeHtml(body.error_description.split('\r\n')[0] ?? '')}</p>`,
  );
}

type Return = Pick<PendingSignIn, 'redirectUri' | 'state' | 'responseMode'>;

/** Sends the browser back to the app: a 302 with the parameters in the query, or a self-submitting form (`form_post`). */
function sendBack(res: ServerResponse, back: Return, fields: Record<string, string>) {
  if (back.state !== undefined) fields.state = back.state;
  if (back.responseMode === 'form_post') {
    const inputs = Object.entries(fields)
      .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
      .join('');
    const page = `<!doctype html><meta charset="utf-8"><title>Working…</title><body onload="document.forms[0].submit()"><form method="post" action="${escapeHtml(back.redirectUri)}">${inputs}<noscript><button>Continue</button></noscript></form></body>`;
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'content-length': Buffer.byteLength(page),
    });
    res.end(page);
    return;
  }
  const url = new URL(back.redirectUri);
  for (const [name, value] of Object.entries(fields)) url.searchParams.set(name, value);
  res.writeHead(302, { location: url.href, 'cache-control': 'no-store', 'content-length': 0 });
  res.end();
}

/** Back to the app with Entra's `error`, `error_description`, `error_codes` (and `state`). */
function redirectError(res: ServerResponse, state: SandboxState, back: Return, error: AadstsError) {
  const body = aadstsBody(error, new Date(state.now()));
  sendBack(res, back, {
    error: body.error,
    error_description: body.error_description,
    error_codes: `[${error.code}]`,
  });
}

/** Entra ID lets public clients register `http://localhost` / `http://127.0.0.1` and use any port. */
export function isLoopbackRedirect(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return url.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname) && !url.hash;
}

const hidden = (signIn: PendingSignIn) =>
  `<input type="hidden" name="flow" value="${escapeHtml(signIn.id)}">`;
const cancelButton = '<button name="action" value="cancel" id="cancel" formnovalidate>Cancel</button>';

function signInPage(res: ServerResponse, signIn: PendingSignIn, app: SandboxApp, problem?: string) {
  sendPage(
    res,
    problem ? 401 : 200,
    'Kalisto sandbox: sign in',
    `<p>to continue to ${escapeHtml(app.displayName)}</p>${problem ? `<p id="error">${escapeHtml(problem)}</p>` : ''}
<form method="post">${hidden(signIn)}
<label>User <input name="username" id="username" autocomplete="username" value="${escapeHtml(signIn.upn ?? signIn.loginHint ?? '')}"></label><br>
<label>Password <input name="password" id="password" type="password" autocomplete="current-password"></label><br>
<button name="action" value="signin" id="submit">Sign in</button> ${cancelButton}</form>`,
  );
}

function mfaPage(res: ServerResponse, signIn: PendingSignIn, resource: string, problem?: string) {
  const why = new AadstsError(50076, [resource]);
  sendPage(
    res,
    problem ? 401 : 200,
    'Kalisto sandbox: verify your identity',
    `<p id="mfa-required">${escapeHtml(aadstsBody(why, new Date()).error_description.split('\r\n')[0] ?? '')}</p>
${problem ? `<p id="error">${escapeHtml(problem)}</p>` : ''}
<p>Enter the code from your authenticator app (sandbox fixture: ${SANDBOX_MFA_CODE}).</p>
<form method="post">${hidden(signIn)}<label>Code <input name="otp" id="otp" autocomplete="one-time-code"></label><br>
<button name="action" value="otp" id="submit">Verify</button> ${cancelButton}</form>`,
  );
}

function consentPage(res: ServerResponse, signIn: PendingSignIn, app: SandboxApp) {
  sendPage(
    res,
    200,
    'Kalisto sandbox: permissions requested',
    `<p>${escapeHtml(app.displayName)} (${escapeHtml(app.clientId)}) would like to: ${escapeHtml(signIn.scope)}</p>
<form method="post">${hidden(signIn)}<button name="action" value="consent" id="accept">Accept</button>
<button name="action" value="cancel" id="cancel">Cancel</button></form>`,
  );
}

function lookup(state: SandboxState, tenantSegment: string, clientId: string) {
  const tenant = state.findTenant(tenantSegment);
  if (!tenant) throw new AadstsError(90002, [tenantSegment]);
  const app = tenant.apps.get(clientId.toLowerCase());
  if (!app) throw new AadstsError(700016, [clientId, tenant.id]);
  return { tenant, app };
}

/** The redirect with a code once the user signed in (and passed MFA and consent). */
function finish(
  res: ServerResponse,
  state: SandboxState,
  signIn: PendingSignIn,
  app: SandboxApp,
  user: SandboxUser,
) {
  const needsConsent = !app.adminConsent && !hasUserConsent(state, app, user);
  if (signIn.prompt === 'consent' || needsConsent) {
    if (signIn.prompt === 'none') {
      endSignIn(state, signIn.id);
      return redirectError(res, state, signIn, new AadstsError(65001, [app.clientId, app.displayName]));
    }
    return consentPage(res, signIn, app);
  }
  endSignIn(state, signIn.id);
  const code = issueCode(state, {
    tenantId: signIn.tenantId,
    clientId: app.clientId,
    upn: user.upn,
    scope: signIn.scope,
    redirectUri: signIn.redirectUri,
    codeChallenge: signIn.codeChallenge,
    amr: user.mfaRequired ? ['pwd', 'mfa'] : ['pwd'],
  });
  sendBack(res, signIn, { code });
}

/** GET: validates the request, then shows the sign-in page (or redirects back with the error). */
function start(res: ServerResponse, ctx: AuthorizeContext) {
  const { state, params } = ctx;
  const clientId = params.get('client_id');
  if (!clientId) return errorPage(res, state, new AadstsError(900144, ['client_id']));
  let found: { tenant: SandboxTenant; app: SandboxApp };
  try {
    found = lookup(state, ctx.tenantSegment, clientId);
  } catch (error) {
    if (error instanceof AadstsError) return errorPage(res, state, error);
    throw error;
  }
  const { tenant, app } = found;
  const redirectUri = params.get('redirect_uri') ?? '';
  if (!isLoopbackRedirect(redirectUri)) {
    return errorPage(res, state, new AadstsError(50011, [redirectUri, app.clientId]));
  }
  const responseMode = params.get('response_mode') === 'form_post' ? 'form_post' : 'query';
  const back: Return = { redirectUri, state: params.get('state') ?? undefined, responseMode };
  if (params.get('response_type') !== 'code') {
    return redirectError(res, state, back, new AadstsError(900144, ['response_type']));
  }
  const challenge = params.get('code_challenge') ?? undefined;
  if (app.publicClient || challenge) {
    if (!challenge) return redirectError(res, state, back, new AadstsError(900144, ['code_challenge']));
    if (params.get('code_challenge_method') !== 'S256') {
      return redirectError(res, state, back, new AadstsError(900144, ['code_challenge_method']));
    }
  }
  const scope = params.get('scope') ?? '';
  try {
    parseScopes(scope, tenant.domain);
  } catch (error) {
    if (error instanceof AadstsError) return redirectError(res, state, back, error);
    throw error;
  }
  const signIn = beginSignIn(state, {
    tenantId: tenant.id,
    clientId: app.clientId,
    redirectUri,
    scope,
    state: back.state,
    responseMode,
    codeChallenge: challenge,
    prompt: params.get('prompt') ?? undefined,
    loginHint: params.get('login_hint') ?? undefined,
  });
  signInPage(res, signIn, app);
}

/** POST: one step of the pages (sign in, one-time code, consent, cancel). */
function step(res: ServerResponse, ctx: AuthorizeContext) {
  const { state, params } = ctx;
  const signIn = findSignIn(state, params.get('flow') ?? '');
  if (!signIn) {
    return sendPage(
      res,
      400,
      'Sign in: something went wrong',
      '<p id="error">This sign-in expired or was already used. Start again from the app.</p>',
    );
  }
  const { tenant, app } = lookup(state, signIn.tenantId, signIn.clientId);
  const action = params.get('action');
  if (action === 'cancel') {
    endSignIn(state, signIn.id);
    return redirectError(res, state, signIn, new AadstsError(65004));
  }
  if (action === 'signin') {
    const user = tenant.users.get((params.get('username') ?? '').trim().toLowerCase());
    if (!user || user.password !== params.get('password')) {
      return signInPage(res, signIn, app, 'Your account or password is incorrect.');
    }
    signIn.upn = user.upn;
    signIn.mfaDone = false;
    if (user.mfaRequired) return mfaPage(res, signIn, parseScopes(signIn.scope, tenant.domain).audience);
    return finish(res, state, signIn, app, user);
  }
  const user = signIn.upn ? tenant.users.get(signIn.upn) : undefined;
  if (!user) return signInPage(res, signIn, app);
  if (user.mfaRequired && !signIn.mfaDone) {
    if (action !== 'otp' || params.get('otp')?.trim() !== SANDBOX_MFA_CODE) {
      const resource = parseScopes(signIn.scope, tenant.domain).audience;
      return mfaPage(
        res,
        signIn,
        resource,
        action === 'otp' ? 'That code is not right. Try again.' : undefined,
      );
    }
    signIn.mfaDone = true;
    return finish(res, state, signIn, app, user);
  }
  if (action === 'consent') {
    recordUserConsent(state, app, user.upn);
    return finish(res, state, { ...signIn, prompt: undefined }, app, user);
  }
  return finish(res, state, signIn, app, user);
}

/** Answers one request to `/{tenant}/oauth2/v2.0/authorize`. */
export function authorizeEndpoint(res: ServerResponse, ctx: AuthorizeContext) {
  if (ctx.method === 'GET') return start(res, ctx);
  if (ctx.method === 'POST') return step(res, ctx);
  res.writeHead(405, { allow: 'GET, POST', 'content-length': 0 });
  res.end();
}
