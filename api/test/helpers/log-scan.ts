import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { TEST_PASSWORD_MARKER, TEST_SECRETS } from "./constants.js";

/**
 * What must never appear in a log line. Test passwords all contain a marker, and the
 * suite's secrets are fixed, so a leak anywhere in the suite is found here.
 */
const forbidden: { name: string; pattern: RegExp }[] = [
  { name: "a test password", pattern: new RegExp(TEST_PASSWORD_MARKER) },
  { name: "the JWT secret", pattern: new RegExp(TEST_SECRETS.jwtSecret) },
  { name: "the Stripe secret key", pattern: new RegExp(TEST_SECRETS.stripeSecretKey) },
  { name: "the webhook signing secret", pattern: new RegExp(TEST_SECRETS.webhookSecret) },
  { name: "a JWT", pattern: /eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\./ },
  { name: "a bcrypt hash", pattern: /\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}/ },
  { name: "a refresh cookie", pattern: /refresh_token=[A-Za-z0-9_-]{20,}/ },
  { name: "a Stripe signature", pattern: /t=\d{9,},v1=[0-9a-f]{64}/ },
];

export async function scanLogsForSecrets(logDir: string): Promise<void> {
  const files = (await readdir(logDir)).filter((f) => f.endsWith(".ndjson"));
  const leaks: string[] = [];
  let lines = 0;
  for (const file of files) {
    const text = await readFile(path.join(logDir, file), "utf8");
    for (const line of text.split("\n").filter(Boolean)) {
      lines += 1;
      for (const { name, pattern } of forbidden) {
        if (pattern.test(line)) leaks.push(`${file}: ${name}: ${line.slice(0, 300)}`);
      }
    }
  }
  if (leaks.length > 0) {
    throw new Error(`Secrets found in ${leaks.length} log line(s):\n${leaks.slice(0, 20).join("\n")}`);
  }
  process.stdout.write(`log scan: ${lines} log lines from ${files.length} files, no secrets found\n`);
}
