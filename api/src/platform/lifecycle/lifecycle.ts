/** Process-wide state the readiness probe and the drain read. */
export class Lifecycle {
  /** SIGTERM arrived: /ready answers 503 while traffic is still served. */
  shuttingDown = false;
  /** The server stopped accepting; keep-alive responses say `Connection: close`. */
  draining = false;
  readonly startedAt = Date.now();
}
