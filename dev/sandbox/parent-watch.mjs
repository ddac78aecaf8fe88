/* global setInterval */
// Preloaded (NODE_OPTIONS=--import) into the API's Node processes by the sandbox launcher.
// The launcher stops them itself on Ctrl-C; this covers the launcher being killed outright
// (kill -9, a crashed terminal). A process whose parent died is re-parented at once, so a
// changed `process.ppid` means the launcher (or `tsx watch`, whose own parent was the
// launcher) is gone; the chain unwinds within a second or two and frees the API's port.
// SIGKILL, not SIGTERM: the API's stdout was a pipe to the dead launcher, and pino's final
// synchronous flush retries a write that fails with EPIPE forever, so a graceful exit would
// hang. Nobody is left to read its logs, and PostgreSQL drops the connections by itself.
// Plain JavaScript: it also runs inside `tsx watch`, before any TypeScript loader exists.
if (process.env.SANDBOX_LAUNCHER_PID) {
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) process.kill(process.pid, "SIGKILL");
  }, 500).unref();
}
