import { invalidRequest, missingParam, noSuchResource } from "./errors.js";
import type { FormObject } from "./form.js";
import { listParams, metadataParam, optionalObject, optionalString, rejectUnknown, stringList } from "./params.js";
import { paginate, route, type ApiRequest, type EndpointContext, type Route } from "./routing.js";
import { newId, STAND_IN_API_VERSION } from "./state.js";
import type { StandInEvent, WebhookEndpointObject } from "./types.js";

export const eventRoutes: Route[] = [
  route("GET", "/v1/events", listEvents),
  route("GET", "/v1/events/:id", (req, ctx) => {
    const event = ctx.state.events.find((e) => e.id === req.params.id);
    if (!event) throw noSuchResource("event", req.params.id!);
    return { status: 200, body: event };
  }),
  route("POST", "/v1/webhook_endpoints", createEndpoint),
  route("GET", "/v1/webhook_endpoints", (req, ctx) => {
    const endpoints = [...ctx.state.webhookEndpoints.values()].reverse().map(withoutSecret);
    return { status: 200, body: paginate(endpoints, listParams(req.query), "/v1/webhook_endpoints") };
  }),
  route("GET", "/v1/webhook_endpoints/:id", (req, ctx) => ({ status: 200, body: withoutSecret(findEndpoint(ctx, req.params.id!)) })),
  route("POST", "/v1/webhook_endpoints/:id", updateEndpoint),
  route("DELETE", "/v1/webhook_endpoints/:id", (req, ctx) => {
    const endpoint = findEndpoint(ctx, req.params.id!);
    ctx.state.webhookEndpoints.delete(endpoint.id);
    return { status: 200, body: { id: endpoint.id, object: "webhook_endpoint", deleted: true } };
  }),
];

/** Newest first; `created` as a number or a range (`gt`, `gte`, `lt`, `lte`); `type` (with `*` wildcards) or `types[]`. */
function listEvents(req: ApiRequest, ctx: EndpointContext) {
  const query = req.query;
  rejectUnknown(query, ["created", "type", "types", "limit", "starting_after", "ending_before", "delivery_success", "expand"]);
  const matchesCreated = createdFilter(query);
  const type = optionalString(query, "type");
  const types = stringList(query, "types");
  if (type && types) throw invalidRequest("You may only specify one of these parameters: type, types.", "types");
  if (types && types.length > 20) throw invalidRequest("You may specify at most 20 types.", "types");
  const patterns = (types ?? (type ? [type] : [])).map(typePattern);
  const events = ctx.state.events
    .filter((e) => matchesCreated(e.created) && (patterns.length === 0 || patterns.some((p) => p.test(e.type))))
    .reverse();
  const list = listParams(query);
  for (const cursor of [list.startingAfter, list.endingBefore]) {
    if (cursor && !events.some((e) => e.id === cursor)) throw noSuchResource("event", cursor, cursor === list.startingAfter ? "starting_after" : "ending_before");
  }
  return { status: 200, body: paginate<StandInEvent>(events, list, "/v1/events") };
}

function typePattern(type: string): RegExp {
  return new RegExp(`^${type.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);
}

function createdFilter(query: FormObject): (created: number) => boolean {
  const created = query.created;
  if (created === undefined) return () => true;
  const toInt = (value: unknown, param: string) => {
    if (typeof value !== "string" || !/^\d+$/.test(value)) throw invalidRequest(`Invalid integer: ${String(value)}`, param, "parameter_invalid_integer");
    return Number(value);
  };
  if (typeof created === "string") {
    const at = toInt(created, "created");
    return (c) => c === at;
  }
  const range = optionalObject(query, "created")!;
  rejectUnknown(range, ["gt", "gte", "lt", "lte"], "created");
  const bound = (key: string) => (range[key] === undefined ? undefined : toInt(range[key], `created[${key}]`));
  const [gt, gte, lt, lte] = [bound("gt"), bound("gte"), bound("lt"), bound("lte")];
  return (c) => (gt === undefined || c > gt) && (gte === undefined || c >= gte) && (lt === undefined || c < lt) && (lte === undefined || c <= lte);
}

function findEndpoint(ctx: EndpointContext, id: string): WebhookEndpointObject {
  const endpoint = ctx.state.webhookEndpoints.get(id);
  if (!endpoint) throw noSuchResource("webhook_endpoint", id);
  return endpoint;
}

/** Stripe shows an endpoint's signing secret only in the answer to its creation. */
function withoutSecret(endpoint: WebhookEndpointObject): WebhookEndpointObject {
  const { secret: _secret, ...rest } = endpoint;
  return rest;
}

function enabledEvents(body: FormObject): string[] | undefined {
  const events = stringList(body, "enabled_events");
  if (events && events.length === 0) throw invalidRequest("enabled_events must contain at least one event type.", "enabled_events");
  return events;
}

function webhookUrl(body: FormObject): string | undefined {
  const url = optionalString(body, "url");
  if (url !== undefined && !(URL.canParse(url) && /^https?:$/.test(new URL(url).protocol))) throw invalidRequest("Invalid URL: must be an http(s) URL.", "url", "url_invalid");
  return url;
}

function createEndpoint(req: ApiRequest, ctx: EndpointContext) {
  const body = req.body;
  rejectUnknown(body, ["url", "enabled_events", "api_version", "description", "metadata", "connect", "expand"]);
  const url = webhookUrl(body);
  if (!url) throw missingParam("url");
  const events = enabledEvents(body);
  if (!events) throw missingParam("enabled_events");
  const endpoint: WebhookEndpointObject = {
    id: newId("we_"),
    object: "webhook_endpoint",
    api_version: optionalString(body, "api_version") ?? null,
    application: null,
    created: ctx.state.now(),
    description: optionalString(body, "description") ?? null,
    enabled_events: events,
    livemode: false,
    metadata: metadataParam(body) ?? {},
    secret: newId("whsec_", 32),
    status: "enabled",
    url,
  };
  ctx.state.webhookEndpoints.set(endpoint.id, endpoint);
  return { status: 200, body: endpoint };
}

/** Stripe lets an update change the URL, events, description, metadata and `disabled`; never the API version. */
function updateEndpoint(req: ApiRequest, ctx: EndpointContext) {
  const body = req.body;
  rejectUnknown(body, ["url", "enabled_events", "description", "metadata", "disabled", "expand"]);
  const endpoint = findEndpoint(ctx, req.params.id!);
  const url = webhookUrl(body);
  const events = enabledEvents(body);
  const disabled = optionalString(body, "disabled");
  if (disabled !== undefined && disabled !== "true" && disabled !== "false") throw invalidRequest("Invalid boolean: disabled", "disabled", "parameter_invalid_boolean");
  if (url) endpoint.url = url;
  if (events) endpoint.enabled_events = events;
  const description = optionalString(body, "description");
  if (description !== undefined) endpoint.description = description === "" ? null : description;
  const metadata = metadataParam(body);
  if (metadata) endpoint.metadata = Object.keys(metadata).length === 0 ? {} : { ...endpoint.metadata, ...metadata };
  if (disabled) endpoint.status = disabled === "true" ? "disabled" : "enabled";
  return { status: 200, body: withoutSecret(endpoint) };
}

export { STAND_IN_API_VERSION };
