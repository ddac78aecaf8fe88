import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * `APP_VERSION` when the deployment sets it (e.g. the image tag or git sha), else the
 * version in the nearest package.json above this file (found from api/src and dist alike).
 */
export function resolveAppVersion(appVersion: string | undefined): string {
  if (appVersion) return appVersion;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i += 1) {
    const candidate = path.join(dir, "package.json");
    if (existsSync(candidate)) {
      const { version } = JSON.parse(readFileSync(candidate, "utf8")) as { version?: string };
      if (version) return version;
    }
    dir = path.dirname(dir);
  }
  return "unknown";
}
