import { mkdirSync, rmSync } from "node:fs";
import type { TestProject } from "vitest/node";
import { freeSandboxPorts, makeDataDir, removeDataDir, startLauncher } from "../dev/sandbox/launcher-process.js";
import { SCREENSHOT_DIR } from "./browser.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** The sandbox under test, as a browser reaches it. */
    sandbox: { storefrontUrl: string; apiUrl: string; standInUrl: string; databaseUrl: string };
  }
}

/** Starts the sandbox once with the real launcher; stops it with a Ctrl-C and expects a clean exit. */
export default async function setup(project: TestProject) {
  rmSync(SCREENSHOT_DIR, { recursive: true, force: true });
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const dataDir = makeDataDir();
  const ports = await freeSandboxPorts();
  const launcher = startLauncher({ ports, dataDir });
  try {
    await launcher.ready(90_000);
  } catch (err) {
    await launcher.interrupt();
    await removeDataDir(dataDir);
    throw err;
  }
  project.provide("sandbox", {
    storefrontUrl: `http://localhost:${ports.storefront}`,
    apiUrl: `http://localhost:${ports.api}`,
    standInUrl: `http://localhost:${ports.stripe}`,
    databaseUrl: `postgresql://postgres:postgres@127.0.0.1:${ports.postgres}/checkout`,
  });

  return async () => {
    const code = await launcher.interrupt();
    await removeDataDir(dataDir);
    if (code !== 0) throw new Error(`the launcher exited with ${code} after SIGINT:\n${launcher.output().slice(-3000)}`);
  };
}
