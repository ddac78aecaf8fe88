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

const SECURITY: Record<RouteSpec["auth"], JsonObject[] | undefined> = {
  none: undefined,
  bearer: [{ bearerAuth: [] }],
  admin: [{ bearerAuth: [] }],
  cookie: [{ refreshCookie: [] }],
  stripe: undefined,
  metrics: [{ metricsToken: [] }, {}],
};

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
  for (const status of spec.problems) {
    responses[String(status)] = { description: "Problem details", content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } } };
  }
  return {
    summary: spec.summary,
    tags: [spec.tag],
    operationId: `${spec.method}${spec.path.replace(/[{}]/g, "").replace(/(^|[/-])(\w)/g, (_m, _s, c: string) => c.toUpperCase())}`,
    ...(SECURITY[spec.auth] ? { security: SECURITY[spec.auth] } : {}),
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
    },
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
