import type { Logger } from "../../logger.js";
import type { PageHandler } from "./server.js";
import type { StandInState } from "./state.js";
import type { StandInEvent } from "./types.js";

export interface PageDeps {
  state: StandInState;
  flow: (make: () => StandInEvent[]) => Promise<StandInEvent[]>;
  delayedSettlementMs: number;
  logger: Logger;
}

/** The hosted checkout page (phase 2). */
export function servePages(_deps: PageDeps): PageHandler {
  return async () => false;
}
