import { describe, expect, inject, it } from "vitest";
import { runTs } from "../helpers/run-script.js";

const sandbox = inject("sandbox");

describe("npm run smoke against the sandbox", () => {
  it("when SMOKE_SANDBOX=1 points at the running sandbox, then every check passes, the payment included", async () => {
    // 127.0.0.1, not localhost: what the README tells people to run, and a host the API's CORS does not list.
    const baseUrl = sandbox.apiUrl.replace("localhost", "127.0.0.1");

    const result = await runTs("scripts/smoke/smoke.ts", { BASE_URL: baseUrl, SMOKE_SANDBOX: "1" });

    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/✔ pay on the stand-in's hosted page/);
    expect(result.stdout).toMatch(/✔ the order becomes paid/);
    expect(result.stdout).not.toContain("✘");
  });
});
