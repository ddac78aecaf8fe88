import type { Response } from "express";
import type { AppError} from "../errors.js";
import { type ErrorCode } from "../errors.js";

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  requestId: string;
  errors?: Record<string, string[]>;
  /** Extension members a code documents (e.g. the pending `refund` of REFUND_PENDING). */
  [member: string]: unknown;
}

export function problemType(code: ErrorCode): string {
  return `urn:checkout-api:problem:${code.toLowerCase().replaceAll("_", "-")}`;
}

export function problemBody(error: AppError, requestId: string): ProblemBody {
  return {
    ...error.extra.members, // first: a member never replaces a standard field
    type: problemType(error.code),
    title: error.title,
    status: error.status,
    detail: error.detail,
    code: error.code,
    requestId,
    ...(error.extra.errors ? { errors: error.extra.errors } : {}),
  };
}

/** Writes an RFC 9457 problem details answer. */
export function sendProblem(res: Response, error: AppError, requestId: string): void {
  if (error.extra.retryAfterSeconds !== undefined) res.setHeader("Retry-After", String(error.extra.retryAfterSeconds));
  res.status(error.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problemBody(error, requestId)));
}
