import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Express } from "express";
import type { AppContext } from "./context.js";
import { AppError } from "./platform/errors.js";
import { problemBody } from "./platform/http/problem.js";

export interface RunningServer {
  server: http.Server;
  port: number;
  /** The shutdown sequence (docs/reliability.md); resolves when every resource is released. */
  shutdown(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts the HTTP server with deliberate limits: keep-alive longer than a load balancer's
 * 60 s idle timeout (so the balancer, not us, closes idle connections), headers and
 * request timeouts that cut slow-loris clients, checked every second.
 */
export async function startServer(ctx: AppContext, app: Express, port = ctx.config.port, host = ctx.config.host): Promise<RunningServer> {
  const server = http.createServer({ connectionsCheckingInterval: 1000 }, app);
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.maxHeadersCount = 100;

  // Requests Node's own parser refuses (bad request line, oversized headers, timeouts)
  // still get a problem+json answer when the socket can take one.
  server.on("clientError", (err: NodeJS.ErrnoException, socket) => {
    if (!socket.writable || (err.code === "ECONNRESET" && !socket.readable)) return socket.destroy();
    const tooLarge = err.code === "HPE_HEADER_OVERFLOW";
    const timedOut = err.code === "ERR_HTTP_REQUEST_TIMEOUT";
    const status = tooLarge ? 431 : timedOut ? 408 : 400;
    // Express never saw this request, so it has no id yet; every response carries one.
    const requestId = randomUUID();
    const body = JSON.stringify({
      ...problemBody(new AppError("VALIDATION_FAILED", tooLarge ? "Request headers are too large." : timedOut ? "The request took too long." : "The request could not be parsed."), requestId),
      status,
      title: tooLarge ? "Request header fields too large" : timedOut ? "Request timeout" : "Bad request",
    });
    socket.end(
      `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nX-Request-Id: ${requestId}\r\nConnection: close\r\n\r\n${body}`,
    );
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const actualPort = (server.address() as AddressInfo).port;
  ctx.logger.info({ port: actualPort, env: ctx.config.env }, "listening");

  let shuttingDown: Promise<void> | undefined;
  const shutdown = () => {
    shuttingDown ??= (async () => {
      const { shutdownDelayMs, shutdownTimeoutMs } = ctx.config.http;
      // 1. Tell the load balancer first, while still serving traffic.
      ctx.lifecycle.shuttingDown = true;
      ctx.logger.info({ shutdownDelayMs }, "shutdown started: /ready now answers 503");
      if (shutdownDelayMs > 0) await sleep(shutdownDelayMs);
      // 2. Stop accepting; ask keep-alive clients to go; drain in-flight requests.
      ctx.lifecycle.draining = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      ctx.logger.info({ shutdownTimeoutMs }, "stopped accepting connections; draining in-flight requests");
      const drained = await Promise.race([closed.then(() => true), sleep(shutdownTimeoutMs).then(() => false)]);
      if (!drained) {
        ctx.logger.warn({ shutdownTimeoutMs }, "drain timed out; closing remaining connections");
        server.closeAllConnections();
        await closed;
      }
      // 3. Release the pool and everything else.
      await ctx.close();
      ctx.logger.info("shutdown complete");
    })();
    return shuttingDown;
  };

  return { server, port: actualPort, shutdown };
}
