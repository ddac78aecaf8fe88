import { z } from "zod";
import { problemSchema } from "./response-schemas.js";
import { routeSpecs, type RouteSpec } from "./routes.js";

type JsonObject = Record<string, unknown>;

const toSchema = (schema: z.ZodType): JsonObject =>
  // Input shapes for requests; transforms (trim, lower-case) cannot be shown and are dropped.
  z.toJSONSchema(schema, { io: "input", unrepresentable: "any", target: "draft-2020-12" }) as JsonObject;

const stripDialect = (schema: JsonObject): JsonObject => {
  const { $schema: _dialect, ...rest } = schema;
  return rest;
};

/** Every operation states its security; `[]` says "public" (the webhook is verified by its signature instead). */
const SECURITY: Record<RouteSpec["auth"], JsonObject[]> = {
  none: [],
  bearer: [{ bearerAuth: [] }],
  admin: [{ bearerAuth: [] }],
  cookie: [{ refreshCookie: [] }],
  stripe: [],
  metrics: [{ metricsToken: [] }, {}],
};

/**
 * Answers Node's HTTP server gives any request before a route sees it (server.ts's
 * `clientError`): a request that took too long or whose headers are too large. Every
 * operation documents them, so each has its 4xx answers whatever the route adds.
 */
const SERVER_PROBLEMS: Record<number, string> = {
  408: "The request took too long to arrive",
  431: "Request headers are too large",
};

const problemResponse = (description: string): JsonObject => ({
  description,
  content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } },
});

function parameters(spec: RouteSpec): JsonObject[] {
  const out: JsonObject[] = [];
  for (const [location, schema] of [["path", spec.params], ["query", spec.query]] as const) {
    if (!schema) continue;
    const json = stripDialect(toSchema(schema));
    const properties = (json.properties ?? {}) as Record<string, JsonObject>;
    const required = new Set((json.required as string[] | undefined) ?? []);
    for (const [name, property] of Object.entries(properties)) {
      out.push({ name, in: location, required: location === "path" || required.has(name), schema: property });
    }
  }
  for (const header of spec.headers ?? []) {
    out.push({ name: header.name, in: "header", required: header.required ?? false, description: header.description, schema: { type: "string" } });
  }
  return out;
}

function operation(spec: RouteSpec): JsonObject {
  const responses: JsonObject = {};
  for (const [status, schema] of Object.entries(spec.ok)) {
    if (schema === null) responses[status] = { description: "No content" };
    else if (schema === "text") responses[status] = { description: "OK", content: { "text/plain": { schema: { type: "string" } } } };
    else if (schema === "html") responses[status] = { description: "OK", content: { "text/html": { schema: { type: "string" } } } };
    else if (schema === "json") responses[status] = { description: "OK", content: { "application/json": { schema: { type: "object" } } } };
    else responses[status] = { description: "OK", content: { "application/json": { schema: stripDialect(toSchema(schema)) } } };
  }
  for (const status of spec.problems) responses[String(status)] = problemResponse("Problem details");
  for (const [status, description] of Object.entries(SERVER_PROBLEMS)) responses[status] ??= problemResponse(description);
  return {
    summary: spec.summary,
    tags: [spec.tag],
    operationId: `${spec.method}${spec.path.replace(/[{}]/g, "").replace(/(^|[/-])(\w)/g, (_m, _s, c: string) => c.toUpperCase())}`,
    security: SECURITY[spec.auth],
    ...(parameters(spec).length ? { parameters: parameters(spec) } : {}),
    ...(spec.body ? { requestBody: { required: true, content: { "application/json": { schema: stripDialect(toSchema(spec.body)) } } } } : {}),
    responses,
  };
}

/** OpenAPI 3.1 for every route, built from the zod schemas that validate requests. */
export function buildOpenApiDocument(version: string): JsonObject {
  const paths: Record<string, JsonObject> = {};
  for (const spec of routeSpecs) (paths[spec.path] ??= {})[spec.method] = operation(spec);
  return {
    openapi: "3.1.0",
    info: {
      title: "Stripe Checkout API",
      version,
      description: "Sign users in, start Stripe Checkout payments, receive Stripe's webhooks. Errors are RFC 9457 problem details.",
      license: { name: "Proprietary", identifier: "LicenseRef-Proprietary" },
    },
    // Relative: the document describes whichever host serves it.
    servers: [{ url: "/" }],
    paths,
    components: {
      schemas: { Problem: stripDialect(toSchema(problemSchema)) },
      securitySchemes: {
        bearerAuth: { type: "http", scheme: "bearer", bearerFormat: "JWT" },
        refreshCookie: { type: "apiKey", in: "cookie", name: "refresh_token" },
        metricsToken: { type: "http", scheme: "bearer", description: "METRICS_TOKEN, when set" },
      },
    },
  };
}
