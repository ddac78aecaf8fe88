import "express";

declare module "express-serve-static-core" {
  interface Request {
    /** Parsed, validated input (see http/validate.ts). */
    input?: { body?: unknown; query?: unknown; params?: unknown };
    /** The authenticated caller, set by requireAuth (api/src/auth). */
    user?: { id: string; role: "USER" | "ADMIN" };
    /** The raw webhook body, kept only on the webhook route. */
    rawBody?: Buffer;
  }
}
