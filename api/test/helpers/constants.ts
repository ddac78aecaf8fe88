/** Fixed secrets of the test suite: the log scan looks for each of them. */
export const TEST_SECRETS = {
  jwtSecret: "suite-jwt-secret-7f3a9c1e5b2d8f4a6c0e",
  stripeSecretKey: "sk_test_suiteKey51HxQ9Zk2Lm8Np4Rt",
  webhookSecret: "whsec_suiteSigningSecret9f8e7d6c5b4a",
};

/** Every password the tests use contains this, so a leaked one is easy to find. */
export const TEST_PASSWORD_MARKER = "Pw-SuiteMarker";

export function testPassword(suffix = "a"): string {
  return `${TEST_PASSWORD_MARKER}-${suffix}-0123`;
}
