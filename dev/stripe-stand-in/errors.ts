/**
 * Errors as Stripe answers them: `{ error: { type, code, message, param } }` with Stripe's
 * HTTP statuses. Endpoint logic throws these; the server renders them (and caches them under
 * an idempotency key, as Stripe does).
 */

export type StripeErrorType = "invalid_request_error" | "idempotency_error" | "api_error" | "authentication_error" | "rate_limit_error";

export interface StripeErrorBody {
  type: StripeErrorType;
  code?: string;
  message: string;
  param?: string;
  doc_url?: string;
  request_log_url?: string;
}

export class StripeApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: StripeErrorBody,
  ) {
    super(body.message);
  }

  toJSON(): { error: StripeErrorBody } {
    return { error: this.body };
  }
}

export const invalidRequest = (message: string, param?: string, code?: string) =>
  new StripeApiError(400, { type: "invalid_request_error", message, ...(param ? { param } : {}), ...(code ? { code } : {}) });

export const missingParam = (param: string) =>
  invalidRequest(`Missing required param: ${param}.`, param, "parameter_missing");

export const unknownParam = (param: string) =>
  invalidRequest(`Received unknown parameter: ${param}`, param, "parameter_unknown");

export const invalidInteger = (param: string, value: unknown) =>
  invalidRequest(`Invalid integer: ${String(value)}`, param, "parameter_invalid_integer");

export const noSuchResource = (kind: string, id: string, param = "id") =>
  new StripeApiError(404, { type: "invalid_request_error", code: "resource_missing", param, message: `No such ${kind}: '${id}'` });

export const unrecognizedUrl = (method: string, path: string) =>
  new StripeApiError(404, {
    type: "invalid_request_error",
    message: `Unrecognized request URL (${method}: ${path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`,
  });
