import type { FormObject } from "./form.js";
import type { StandInState } from "./state.js";

/** One API call as endpoint logic sees it. */
export interface ApiRequest {
  method: string;
  path: string;
  params: Record<string, string>;
  body: FormObject;
  query: FormObject;
  requestId: string;
  idempotencyKey: string | null;
}

export interface ApiResult {
  status: number;
  body: unknown;
}

export interface EndpointContext {
  state: StandInState;
  /** Base URL of the stand-in as a browser reaches it (for each session's hosted page). */
  publicUrl: string;
}

export type Handler = (req: ApiRequest, ctx: EndpointContext) => ApiResult;

export interface Route {
  method: string;
  pattern: RegExp;
  keys: string[];
  handler: Handler;
}

/** `route("GET", "/v1/checkout/sessions/:id", h)`: path segments starting with `:` are parameters. */
export function route(method: string, path: string, handler: Handler): Route {
  const keys: string[] = [];
  const source = path
    .split("/")
    .map((segment) => {
      if (!segment.startsWith(":")) return segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      keys.push(segment.slice(1));
      return "([^/]+)";
    })
    .join("/");
  return { method, pattern: new RegExp(`^${source}/?$`), keys, handler };
}

export function matchRoute(routes: Route[], method: string, path: string): { route: Route; params: Record<string, string> } | undefined {
  for (const candidate of routes) {
    if (candidate.method !== method) continue;
    const match = candidate.pattern.exec(path);
    if (!match) continue;
    const params: Record<string, string> = {};
    candidate.keys.forEach((key, i) => (params[key] = decodeURIComponent(match[i + 1] ?? "")));
    return { route: candidate, params };
  }
  return undefined;
}

/** Stripe's list envelope with `limit` (1–100, default 10) and `starting_after` over newest-first data. */
export function paginate<T extends { id: string }>(items: T[], query: { limit?: number; startingAfter?: string; endingBefore?: string }, url: string) {
  let start = 0;
  let end = items.length;
  if (query.startingAfter) start = items.findIndex((item) => item.id === query.startingAfter) + 1;
  if (query.endingBefore) end = Math.max(0, items.findIndex((item) => item.id === query.endingBefore));
  const limit = query.limit ?? 10;
  const window = query.endingBefore && !query.startingAfter ? items.slice(Math.max(start, end - limit), end) : items.slice(start, Math.min(end, start + limit));
  const hasMore = query.endingBefore && !query.startingAfter ? end - limit > start : start + limit < end;
  return { object: "list" as const, data: window, has_more: hasMore, url };
}
