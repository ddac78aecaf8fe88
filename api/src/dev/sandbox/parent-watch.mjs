/* global setInterval, clearInterval */
// Preloaded (NODE_OPTIONS=--import) into the API's Node processes by the sandbox launcher.
// The launcher stops them itself on Ctrl-C; this covers the launcher being killed outright
// (kill -9, a crashed terminal): they then stop too, instead of holding the API's port.
// Plain JavaScript: it also runs inside `tsx watch`, before any TypeScript loader exists.
const launcher = Number(process.env.SANDBOX_LAUNCHER_PID);
if (Number.isInteger(launcher) && launcher > 0) {
  const timer = setInterval(() => {
    try {
      process.kill(launcher, 0);
    } catch (err) {
      if (err.code !== "ESRCH") return;
      clearInterval(timer);
      process.kill(process.pid, "SIGTERM");
    }
  }, 1000);
  timer.unref();
}
