import type { ErrorEvent } from "@sentry/node";

/**
 * What must never leave for the error tracker: bearer and JWT tokens, Stripe keys and
 * webhook secrets, passwords in URLs. Error messages can quote any of these (a driver
 * echoing a connection string, a library echoing a header), so every string is scrubbed.
 */
const SECRET_PATTERNS: RegExp[] = [
  /\bBearer\s+[A-Za-z0-9._~+/=-]+/gi,
  /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, // JWT
  /\b(sk|rk|pk)_(live|test)_[A-Za-z0-9]+/g,
  /\bwhsec_[A-Za-z0-9]+/g,
  /(\b[a-z][a-z0-9+.-]*:\/\/[^:/\s@]*:)[^@\s/]+@/gi, // scheme://user:PASSWORD@
  /\b(refresh_token|access_token|password|token|secret)=[^;&\s]+/gi,
];

export function scrubText(text: string): string {
  return SECRET_PATTERNS.reduce((out, pattern) => out.replace(pattern, (match, ...groups) => {
    // Keep the `scheme://user:` prefix of URLs, so the event still says which server.
    const prefix = typeof groups[0] === "string" && pattern.source.startsWith("(\\b[a-z]") ? groups[0] : "";
    return `${prefix}[Filtered]`;
  }), text);
}

/**
 * `beforeSend`: the event keeps the error, its stack and our tags (request id); it loses
 * the request (body, cookies, headers, query), the user, breadcrumbs and extra data, and
 * every remaining string is scrubbed.
 */
export function scrubEvent(event: ErrorEvent): ErrorEvent {
  delete event.request;
  delete event.user;
  delete event.breadcrumbs;
  delete event.extra;
  if (event.message) event.message = scrubText(event.message);
  for (const exception of event.exception?.values ?? []) {
    if (exception.value) exception.value = scrubText(exception.value);
  }
  return event;
}
