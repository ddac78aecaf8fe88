import "express";

declare module "express-serve-static-core" {
  interface Request {
    /** Parsed, validated input (see http/validate.ts). */
    input?: { body?: unknown; query?: unknown; params?: unknown };
    /** The raw webhook body, kept only on the webhook route. */
    rawBody?: Buffer;
  }
}
