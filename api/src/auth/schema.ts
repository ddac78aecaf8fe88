import { z } from "zod";
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, passwordLength } from "./passwords.js";

const requiredString = z.string({ error: (issue) => (issue.input === undefined ? "is required" : "must be a string") });

/** Trimmed and lower-cased before anything else, so lookups and the unique index agree. */
export const emailSchema = requiredString
  .trim()
  .toLowerCase()
  .max(254, "must be at most 254 characters")
  .pipe(z.email({ error: "must be a valid email address" }));

/** 12–128 characters (code points); every one of them counts (see passwords.ts). */
export const newPasswordSchema = requiredString
  .refine((p) => passwordLength(p) >= PASSWORD_MIN_LENGTH, `must be at least ${PASSWORD_MIN_LENGTH} characters`)
  .refine((p) => passwordLength(p) <= PASSWORD_MAX_LENGTH, `must be at most ${PASSWORD_MAX_LENGTH} characters`);

export const registerBody = z.object({ email: emailSchema, password: newPasswordSchema }).strict();

/**
 * Login does not re-apply the password policy: a wrong password of any length is just
 * INVALID_CREDENTIALS. The bound only stops absurd inputs.
 */
export const loginBody = z
  .object({
    email: requiredString
      .trim()
      .toLowerCase()
      .min(1, "is required")
      .max(254, "must be at most 254 characters")
      // PostgreSQL text cannot hold NUL: looked up as is, such an email is a 500, not a 401.
      .refine((v) => !v.includes("\u0000"), "must not contain NUL characters"),
    password: requiredString.min(1, "is required").max(1024, "must be at most 1024 characters"),
  })
  .strict();

/** Refresh and logout take their input from the cookie; a body, if any, must be empty. */
export const emptyBody = z.object({}).strict();

export type RegisterInput = z.infer<typeof registerBody>;
export type LoginInput = z.infer<typeof loginBody>;
