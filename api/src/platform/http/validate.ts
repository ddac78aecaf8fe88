import type { NextFunction, Request, Response } from "express";
import type { z } from "zod";
import { validationFailed, type FieldErrors } from "../errors.js";

type Schemas = { body?: z.ZodType; query?: z.ZodType; params?: z.ZodType };
type Parsed<S extends Schemas> = { [K in keyof S]: S[K] extends z.ZodType ? z.infer<S[K]> : never };

/** Turns zod issues into `errors`: field path → messages. Unknown keys are named one by one. */
export function fieldErrors(error: z.ZodError, prefix?: string): FieldErrors {
  // A Map, not an object: field names come from the client, and `__proto__` or
  // `constructor` would otherwise resolve to Object.prototype's members.
  const errors = new Map<string, string[]>();
  const add = (path: string, message: string) => errors.set(path, [...(errors.get(path) ?? []), message]);
  for (const issue of error.issues) {
    const base = [prefix, ...issue.path.map(String)].filter(Boolean).join(".");
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) add(base ? `${base}.${key}` : key, "is not allowed");
    } else {
      add(base || prefix || "body", issue.message);
    }
  }
  // fromEntries defines own properties, so even a `__proto__` field is listed, not assigned.
  return Object.fromEntries(errors);
}

/**
 * Validates body, query and path params against strict zod schemas before the handler
 * runs; the parsed values live on `req.input` (Express 5's `req.query` is read-only).
 */
export function validate<S extends Schemas>(schemas: S) {
  return (req: Request, _res: Response, next: NextFunction) => {
    const input: Record<string, unknown> = {};
    let errors: FieldErrors = {};
    for (const part of ["params", "query", "body"] as const) {
      const schema = schemas[part];
      if (!schema) continue;
      const raw = part === "body" ? (req.body ?? {}) : req[part];
      const result = schema.safeParse(raw);
      if (result.success) input[part] = result.data;
      else errors = { ...errors, ...fieldErrors(result.error, part === "body" ? undefined : part) };
    }
    if (Object.keys(errors).length > 0) return next(validationFailed(errors));
    req.input = input;
    next();
  };
}

/** The validated input of a request, typed by the schemas given to `validate`. */
export function inputOf<S extends Schemas>(req: Request, _schemas: S): Parsed<S> {
  return req.input as Parsed<S>;
}
