import type { IncomingMessage, ServerResponse } from "node:http";
import type { AppContext } from "../context.js";
import { AppError } from "../errors.js";
import { PROBLEM_CONTENT_TYPE, problemBody } from "../http/problem.js";
import { stampRequest } from "../http/request-id.js";
import { toProblem } from "../http/error-handler.js";
import { accessLogger, logWhenDone } from "../http/request-logger.js";
import type { Logger } from "../logger.js";
import { eventLine, receiveWebhook } from "./webhook-service.js";

/** Stripe's events are a few kB; a megabyte is far beyond any of them. */
const MAX_BODY_BYTES = 1024 * 1024;
const ROUTE = "/webhooks/stripe";
// As Express matched the route: any case, an optional trailing slash, any query string.
const PATH = /^\/webhooks\/stripe\/?(?:\?.*)?$/i;

export interface WebhookEndpoint {
  /** True for the requests it answers: POST /webhooks/stripe. */
  matches(req: IncomingMessage): boolean;
  handle(req: IncomingMessage, res: ServerResponse): void;
}

/**
 * POST /webhooks/stripe on plain `node:http`, answered before Express sees the request
 * (app.ts). It is the route Stripe hits in bursts (a flash sale, a backlog redelivered
 * after an outage), it is server to server, so browser headers and CORS mean nothing to
 * it, and Express's per-request setup cost more CPU than the whole event (bench/README.md).
 * It keeps everything else every route has: the request id, the request's log line (which
 * also carries the event's id, type, order and outcome: one line per delivery), the HTTP
 * metrics, `Connection: close` while draining, problem+json errors, Sentry for 5xx.
 *
 * The body is read raw (the signature covers the exact bytes), whatever its type, up to
 * 1 MB (413 beyond). Verification and processing are webhook-service.ts: a bad signature
 * is 400 before anything is written; a processing failure is 500, so Stripe redelivers.
 */
export function createWebhookEndpoint(ctx: AppContext): WebhookEndpoint {
  const access = accessLogger(ctx.logger);
  return {
    matches: (req) => req.method === "POST" && PATH.test(req.url ?? ""),
    handle(req, res) {
      const requestId = stampRequest(req, res, ctx.lifecycle);
      let child: Logger | undefined;
      const log = () => (child ??= ctx.logger.child({ requestId }));
      const line = logWhenDone(access, requestId, res, { method: "POST", url: ROUTE }, (status, seconds) =>
        ctx.metrics.httpRequest({ method: "POST", route: ROUTE, status, seconds }),
      );

      const fail = (err: unknown) => {
        if (res.headersSent) return;
        const error = toProblem(err, log(), requestId);
        if (error.status >= 500) ctx.errorReporter.captureUnexpected(err, requestId);
        send(res, error.status, PROBLEM_CONTENT_TYPE, JSON.stringify(problemBody(error, requestId)));
      };
      const tooLarge = () => fail(new AppError("PAYLOAD_TOO_LARGE", "The body is too large."));

      if (Number(req.headers["content-length"]) > MAX_BODY_BYTES) return tooLarge();
      const chunks: Buffer[] = [];
      let size = 0;
      const onData = (chunk: Buffer) => {
        size += chunk.length;
        if (size <= MAX_BODY_BYTES) return void chunks.push(chunk);
        // Node discards the rest of the body once the answer is sent.
        req.off("data", onData);
        tooLarge();
      };
      req.on("data", onData);
      req.once("end", () => {
        if (size > MAX_BODY_BYTES) return;
        const signature = req.headers["stripe-signature"];
        receiveWebhook(ctx, Buffer.concat(chunks, size), Array.isArray(signature) ? signature[0] : signature, log).then((applied) => {
          // The event's outcome goes on the request's own line: one line per delivery.
          line.describe(eventLine({ id: applied.eventId, type: applied.type }, applied), "webhook event");
          send(res, 200, "application/json", '{"received":true}');
        }, fail);
      });
    },
  };
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { "Content-Type": `${type}; charset=utf-8`, "Content-Length": Buffer.byteLength(body) });
  res.end(body);
}
