import { mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { loadConfig } from "../../api/src/platform/config.js";
import { createLogger } from "../../api/src/platform/logger.js";
import { startStripeStandIn } from "../stripe-stand-in/index.js";
import { startApiProcess, waitUntilReady } from "./api-process.js";
import { readyBanner } from "./banner.js";
import { assertPostgresCanRun, clearLeftoverServer, ensureDatabase, startDevPostgres } from "./dev-postgres.js";
import { prettyLogStream } from "./log-format.js";
import { assertPortsFree, PortTakenError } from "./ports.js";
import { AlreadyRunningError, assertNoOtherRun, claimDataDir, releaseDataDir } from "./run-lock.js";
import { apiEnvironment, DEMO_USER, readSandboxConfig, SANDBOX_HOST, sandboxPorts, standInUrl, USAGE, withSecrets, type SandboxConfig } from "./sandbox-config.js";
import { prepareDatabase } from "./seed-sandbox.js";
import { startStorefront } from "./storefront-server.js";

/**
 * `npm run dev`: PostgreSQL, migrations and demo data, the Stripe stand-in, the storefront and
 * the API (reloaded on change), started in that order and stopped in the reverse one on
 * Ctrl-C. The launcher itself is never reloaded, so a reload of the API keeps the rest running.
 */

const rootDir = path.resolve(import.meta.dirname, "..", "..");
const say = (line: string) => process.stdout.write(`${line}\n`);
const complain = (line: string) => process.stderr.write(`${line}\n`);

/** What has been started so far, stopped newest first. */
class Running {
  private readonly stops: { name: string; stop: () => Promise<void> }[] = [];
  add(name: string, stop: () => Promise<void>) {
    this.stops.push({ name, stop });
  }
  /** Resolves with how many parts there were to stop. */
  async stopAll(): Promise<number> {
    const count = this.stops.length;
    for (const { name, stop } of this.stops.reverse()) {
      await stop().catch((err: unknown) => complain(`Could not stop ${name}: ${(err as Error).message}`));
    }
    this.stops.length = 0;
    return count;
  }
}

/** Starts everything; resolves with the API process's exit once the banner is printed. */
async function start(config: SandboxConfig, running: Running, abort: AbortSignal): Promise<Promise<number | null>> {
  const startedAt = performance.now();
  await assertPostgresCanRun(config.pgDataDir);
  assertNoOtherRun(config.dataDir);
  await clearLeftoverServer(config.pgDataDir, say);
  if (config.reset) {
    rmSync(config.dataDir, { recursive: true, force: true });
    say(`Removed ${path.relative(rootDir, config.dataDir) || config.dataDir}/: starting from empty data.`);
  }
  await assertPortsFree(sandboxPorts(config));
  mkdirSync(config.dataDir, { recursive: true });
  claimDataDir(config.dataDir);
  running.add("the run lock", async () => releaseDataDir(config.dataDir));
  config = withSecrets(config, process.env);

  say("Starting PostgreSQL…");
  const postgres = await startDevPostgres({
    dataDir: config.pgDataDir,
    port: config.ports.postgres,
    logFile: path.join(config.dataDir, "postgres.log"),
    notice: say,
    signal: abort,
  });
  running.add("PostgreSQL", postgres.stop);
  const databaseUrl = await ensureDatabase(postgres.serverUrl, "checkout");

  const apiEnv = apiEnvironment(config, databaseUrl, process.env);
  const loaded = loadConfig(apiEnv);
  if (!loaded.ok) throw new Error(`the API's configuration is invalid:\n${loaded.problems.map((p) => `  ${p}`).join("\n")}`);
  // The launcher's own steps log only problems: its summary lines say the rest.
  const quiet = createLogger({ level: "warn", name: "sandbox" }, prettyLogStream(process.stdout));
  const { migrationsApplied } = await prepareDatabase(loaded.config, quiet);
  say(`Database ready (${migrationsApplied} migration${migrationsApplied === 1 ? "" : "s"} applied now; demo data seeded).`);
  abort.throwIfAborted();

  if (config.stripe.kind === "stand-in") {
    const standIn = await startStripeStandIn({
      port: config.ports.stripe,
      webhookSecret: config.stripe.webhookSecret,
      webhookUrl: `http://127.0.0.1:${config.ports.api}/webhooks/stripe`,
      publicUrl: standInUrl(config),
      sweepIntervalMs: 1000,
      logger: createLogger({ level: "warn", name: "stripe-stand-in" }, prettyLogStream(process.stdout)),
    });
    running.add("the Stripe stand-in", () => standIn.close());
  }
  const storefront = await startStorefront({ port: config.ports.storefront, apiPort: config.ports.api, demo: DEMO_USER });
  running.add("the storefront", () => storefront.close());

  say(config.watch ? "Starting the API (reloads when its files change)…" : "Starting the API…");
  const api = startApiProcess({ rootDir, env: apiEnv, watch: config.watch });
  running.add("the API", api.stop);
  await waitUntilReady(`http://127.0.0.1:${config.ports.api}/ready`, api.exited, 60_000, abort);
  say(readyBanner(config, databaseUrl.replace("127.0.0.1", SANDBOX_HOST), (performance.now() - startedAt) / 1000));
  return api.exited;
}

async function main(): Promise<void> {
  let config: SandboxConfig | undefined;
  try {
    config = readSandboxConfig(process.argv.slice(2), process.env, rootDir);
  } catch (err) {
    complain(`npm run dev: ${(err as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (!config) return void say(USAGE);

  const running = new Running();
  const abort = new AbortController();
  let stopping: Promise<void> | undefined;
  const stop = (code: number) =>
    (stopping ??= (async () => {
      abort.abort();
      const stopped = await running.stopAll();
      if (code === 0 || stopped > 0) say(code === 0 ? "Sandbox stopped." : "Sandbox stopped after an error.");
      process.exit(code);
    })());
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return say(`(${signal}: already stopping)`);
    say(`\n${signal}: stopping the sandbox…`);
    void stop(0);
  };
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(sig, onSignal);
  process.on("uncaughtException", (err) => {
    complain(`Sandbox failed: ${err.stack ?? err.message}`);
    void stop(1);
  });

  try {
    const apiExited = await start(config, running, abort.signal);
    // The watcher (or the API) ending on its own is a failure: take the rest down with it.
    const code = await apiExited;
    if (stopping) return;
    complain(`The API process exited (code ${code}); stopping the sandbox.`);
    await stop(1);
  } catch (err) {
    if (abort.signal.aborted) return;
    if (err instanceof PortTakenError) {
      for (const taken of err.taken) complain(`Port ${taken.port} (${taken.name}) is already in use. Stop what uses it, or set ${taken.variable} to another port.`);
    } else if (err instanceof AlreadyRunningError) {
      complain(`npm run dev: ${err.message}`);
    } else {
      complain(`Sandbox failed to start: ${(err as Error).message}`);
    }
    await stop(1);
  }
}

void main();
