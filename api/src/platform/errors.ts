/**
 * The closed set of errors a client can see. Each has a status and a stable UPPER_SNAKE
 * `code`; the error handler turns them into RFC 9457 problem details.
 */
export const errorCodes = {
  VALIDATION_FAILED: { status: 400, title: "Validation failed" },
  MALFORMED_JSON: { status: 400, title: "Malformed JSON" },
  MIXED_CURRENCIES: { status: 400, title: "Mixed currencies" },
  AMOUNT_OUT_OF_RANGE: { status: 400, title: "Amount out of range" },
  INVALID_SIGNATURE: { status: 400, title: "Invalid signature" },
  REFUND_EXCEEDS_BALANCE: { status: 400, title: "Refund exceeds balance" },
  UNAUTHENTICATED: { status: 401, title: "Unauthenticated" },
  INVALID_CREDENTIALS: { status: 401, title: "Invalid credentials" },
  INVALID_REFRESH_TOKEN: { status: 401, title: "Invalid refresh token" },
  FORBIDDEN: { status: 403, title: "Forbidden" },
  ORIGIN_NOT_ALLOWED: { status: 403, title: "Origin not allowed" },
  NOT_FOUND: { status: 404, title: "Not found" },
  EMAIL_TAKEN: { status: 409, title: "Email taken" },
  IDEMPOTENCY_KEY_REUSED: { status: 409, title: "Idempotency key reused" },
  REQUEST_IN_PROGRESS: { status: 409, title: "Request in progress" },
  ORDER_NOT_REFUNDABLE: { status: 409, title: "Order not refundable" },
  REFUND_PENDING: { status: 409, title: "Refund pending" },
  PAYLOAD_TOO_LARGE: { status: 413, title: "Payload too large" },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: "Unsupported media type" },
  RATE_LIMITED: { status: 429, title: "Too many requests" },
  INTERNAL: { status: 500, title: "Internal server error" },
  PAYMENT_PROVIDER_UNAVAILABLE: { status: 502, title: "Payment provider unavailable" },
  PAYMENT_PROVIDER_ERROR: { status: 502, title: "Payment provider error" },
  SERVICE_UNAVAILABLE: { status: 503, title: "Service unavailable" },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof errorCodes;
export type FieldErrors = Record<string, string[]>;

export class AppError extends Error {
  readonly status: number;
  readonly title: string;

  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
    readonly extra: { errors?: FieldErrors; retryAfterSeconds?: number; cause?: unknown; members?: Record<string, unknown> } = {},
  ) {
    super(detail, { cause: extra.cause });
    this.name = "AppError";
    this.status = errorCodes[code].status;
    this.title = errorCodes[code].title;
  }
}

export const validationFailed = (errors: FieldErrors) =>
  new AppError("VALIDATION_FAILED", "The request is invalid; see errors for each field.", { errors });
export const unauthenticated = (detail = "A valid access token is required.") => new AppError("UNAUTHENTICATED", detail);
export const forbidden = (detail = "You are not allowed to do this.") => new AppError("FORBIDDEN", detail);
export const notFound = (detail = "The resource does not exist.") => new AppError("NOT_FOUND", detail);
export const rateLimited = (retryAfterSeconds: number) =>
  new AppError("RATE_LIMITED", "Too many requests; retry later.", { retryAfterSeconds });
export const serviceUnavailable = (detail = "The service is temporarily unavailable.", cause?: unknown) =>
  new AppError("SERVICE_UNAVAILABLE", detail, { cause });
