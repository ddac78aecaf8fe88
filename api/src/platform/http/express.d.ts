import "express";
import type { Logger } from "../logger.js";

declare module "express-serve-static-core" {
  interface Request {
    /** The request id (http/request-id.ts), echoed as X-Request-Id. */
    id: string;
    /** The logger for this request: every line carries its id (http/request-logger.ts). */
    log: Logger;
    /** Parsed, validated input (see http/validate.ts). */
    input?: { body?: unknown; query?: unknown; params?: unknown };
    /** The authenticated caller, set by requireAuth (api/src/auth). */
    user?: { id: string; role: "USER" | "ADMIN" };
  }
}
