import http from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadConfig } from "../../../src/platform/config.js";
import { apiEnvironment, readSandboxConfig, withSecrets } from "../../../../dev/sandbox/sandbox-config.js";
import { startServer } from "../../../src/server.js";
import { setupTestApp } from "../../helpers/app.js";

describe("the sandbox's API environment", () => {
  it("when built, then the API binds 127.0.0.1, never gets ADMIN_PASSWORD, and the server's config accepts it", () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), "sandbox-config-"));
    try {
      const env = { DEV_DATA_DIR: dataDir, ADMIN_PASSWORD: "an-inherited-admin-password" };
      const config = withSecrets(readSandboxConfig([], env, dataDir)!, env);
      const apiEnv = apiEnvironment(config, "postgresql://dev@127.0.0.1:54329/checkout", env);

      expect(apiEnv.HOST).toBe("127.0.0.1");
      expect(apiEnv.NODE_ENV).toBe("development");
      expect(Object.keys(apiEnv)).not.toContain("ADMIN_EMAIL");
      const loaded = loadConfig(apiEnv);
      expect(loaded.ok).toBe(true);
      if (!loaded.ok) return;
      expect(loaded.config.host).toBe("127.0.0.1");
      expect(JSON.stringify(loaded.config)).not.toContain("an-inherited-admin-password");
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe("startServer's listen address", () => {
  it("when HOST is 127.0.0.1, then the server listens on loopback only", async () => {
    const t = await setupTestApp({ name: "sandbox-host", env: { HOST: "127.0.0.1", PORT: "0" } });
    const running = await startServer(t.ctx, t.app, 0);
    try {
      expect((running.server.address() as AddressInfo).address).toBe("127.0.0.1");
      const status = await new Promise<number>((resolve, reject) =>
        http.get(`http://127.0.0.1:${running.port}/health`, { agent: false }, (res) => (res.resume(), resolve(res.statusCode ?? 0))).on("error", reject),
      );
      expect(status).toBe(200);
    } finally {
      await running.shutdown();
      await t.close().catch(() => undefined);
    }
  });
});
