import type { Response } from "express";

/**
 * An AbortSignal that fires when the response is closed before it finished: the client
 * (or the load balancer, at its timeout) has gone. On Node 20 `req.destroyed` is already
 * true once the body is read, so the response's 'close' is the event to watch.
 */
export function clientGone(res: Response): AbortSignal {
  const controller = new AbortController();
  res.once("close", () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}
