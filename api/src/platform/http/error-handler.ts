import type { ErrorRequestHandler, RequestHandler } from "express";
import { AppError, notFound, serviceUnavailable } from "../errors.js";
import { isDatabaseUnavailable } from "../db/database.js";
import type { Logger } from "../logger.js";
import { sendProblem } from "./problem.js";

/** JSON 404 for any route nobody answered. */
export const notFoundHandler: RequestHandler = (_req, _res, next) => next(notFound("No such route."));

/** body-parser's errors carry a `type`; these are the client's fault, never a 500. */
function fromBodyParser(err: { type?: string; status?: number }): AppError | undefined {
  switch (err.type) {
    case "entity.parse.failed":
      return new AppError("MALFORMED_JSON", "The body is not valid JSON.");
    case "entity.too.large":
      return new AppError("PAYLOAD_TOO_LARGE", "The body is too large.");
    case "encoding.unsupported":
    case "charset.unsupported":
      return new AppError("UNSUPPORTED_MEDIA_TYPE", "Send the body as UTF-8 application/json.");
    case "request.aborted":
    case "request.size.invalid":
    case "stream.encoding.set":
    case "stream.not.readable":
      return new AppError("MALFORMED_JSON", "The body could not be read.");
    default:
      return undefined;
  }
}

export interface ErrorHandlerHooks {
  /** Called once for every unexpected error (5xx), e.g. to report it to Sentry. */
  onUnexpected?: (err: unknown, requestId: string) => void;
}

/**
 * The one error handler, mounted last. Known errors become problem details; anything
 * else is logged once with the request id and answered with a generic 500, so no stack,
 * SQL or internal message reaches a client.
 */
export function errorHandler(logger: Logger, hooks: ErrorHandlerHooks = {}): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) return next(err);
    const requestId = String(req.id);
    const error = toProblem(err, req.log ?? logger, requestId);
    if (error.status >= 500) hooks.onUnexpected?.(err, requestId);
    sendProblem(res, error, requestId);
  };
}

/**
 * Any thrown value as one of our errors: known errors as they are, body-parser's and
 * database outages translated, anything else logged once and hidden behind a generic 500.
 */
export function toProblem(err: unknown, log: Logger, requestId: string): AppError {
  if (err instanceof AppError) return err;
  const parserError = err && typeof err === "object" && "type" in err ? fromBodyParser(err as { type?: string }) : undefined;
  if (parserError) return parserError;
  if (isDatabaseUnavailable(err)) {
    log.error({ err: summarize(err), requestId }, "database unavailable");
    return serviceUnavailable("The database is unavailable; retry later.");
  }
  log.error({ err, requestId }, "unexpected error");
  return new AppError("INTERNAL", "An unexpected error occurred.");
}

function summarize(err: unknown) {
  const e = err as { message?: string; code?: string };
  return { message: e?.message, code: e?.code };
}
