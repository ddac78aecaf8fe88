import { config } from "/config.js";

/**
 * The storefront's API client, written as a real frontend should talk to this API:
 * - the access token lives in memory only (never in localStorage, where any script could read it);
 * - the refresh token is the API's httpOnly cookie, sent with `credentials: "include"` to /auth only;
 * - refresh tokens are single-use, and a second refresh with the same cookie is treated as theft
 *   (the whole session is revoked), so every tab refreshes under one Web Lock: one at a time.
 */

/** Same host name as this page (the cookie is SameSite=Strict), the API's port. */
export const API_URL = `${location.protocol}//${location.hostname}:${config.apiPort}`;

// Only a hint that a session cookie probably exists, to skip a pointless 401 when signed out.
const SIGNED_IN_HINT = "storefront:signed-in";
const REFRESH_LOCK = "storefront:refresh";
const authChannel = new BroadcastChannel("storefront:auth");

let accessToken = null;
let currentUser = null;
let refreshing = null;
let refreshTimer;

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.code = problem.code;
    this.requestId = problem.requestId;
    /** Field → messages, for a 400 VALIDATION_FAILED. */
    this.errors = problem.errors ?? {};
  }
}

async function failure(res) {
  const problem = await res.json().catch(() => ({ title: res.statusText }));
  return new ApiError(res.status, problem);
}

function remember(session) {
  accessToken = session.accessToken;
  currentUser = session.user;
  localStorage.setItem(SIGNED_IN_HINT, "1");
  clearTimeout(refreshTimer);
  // Renew a minute before the access token expires, so API calls rarely meet a 401.
  refreshTimer = setTimeout(() => void refresh().catch(() => undefined), Math.max(10, session.expiresIn - 60) * 1000);
}

function forget() {
  accessToken = null;
  currentUser = null;
  clearTimeout(refreshTimer);
  localStorage.removeItem(SIGNED_IN_HINT);
}

/** Swaps the refresh cookie for a new access token; one refresh at a time across all tabs. */
export function refresh() {
  refreshing ??= navigator.locks
    .request(REFRESH_LOCK, async () => {
      const res = await fetch(`${API_URL}/auth/refresh`, { method: "POST", credentials: "include" });
      if (res.status === 401) {
        forget();
        return null;
      }
      if (!res.ok) throw await failure(res);
      const session = await res.json();
      remember(session);
      return session.user;
    })
    .finally(() => (refreshing = null));
  return refreshing;
}

/** The signed-in user, or null. A page load starts with no token: the cookie brings it back. */
export async function currentSession() {
  if (currentUser) return currentUser;
  if (!localStorage.getItem(SIGNED_IN_HINT)) return null;
  return refresh();
}

async function post(path, body) {
  return fetch(`${API_URL}${path}`, {
    method: "POST",
    credentials: "include",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

export async function signIn(email, password) {
  const res = await post("/auth/login", { email, password });
  if (!res.ok) throw await failure(res);
  const session = await res.json();
  remember(session);
  return session.user;
}

export async function register(email, password) {
  const res = await post("/auth/register", { email, password });
  if (!res.ok) throw await failure(res);
  return signIn(email, password);
}

export async function signOut() {
  await fetch(`${API_URL}/auth/logout`, { method: "POST", credentials: "include" }).catch(() => undefined);
  forget();
  authChannel.postMessage("signed-out");
}

// Another tab signed out: this one's token is still valid for minutes, but the person expects to be out.
authChannel.addEventListener("message", (event) => {
  if (event.data === "signed-out") {
    forget();
    location.reload();
  }
});

/** Calls the API with the access token; after a 401, refreshes once and tries again. */
export async function api(path, { method = "GET", body, headers = {} } = {}) {
  const send = () =>
    fetch(`${API_URL}${path}`, {
      method,
      headers: {
        ...headers,
        ...(accessToken ? { authorization: `Bearer ${accessToken}` } : {}),
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  let res = await send();
  if (res.status === 401 && localStorage.getItem(SIGNED_IN_HINT) && (await refresh())) res = await send();
  if (!res.ok) throw await failure(res);
  return res.status === 204 ? null : res.json();
}
