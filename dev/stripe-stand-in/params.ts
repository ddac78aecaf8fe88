import { invalidInteger, invalidRequest, missingParam, unknownParam } from "./errors.js";
import type { FormObject, FormValue } from "./form.js";

/**
 * Reading Stripe parameters from a parsed form: each reader names the full parameter path
 * in its error (`line_items[0][quantity]`), as Stripe does.
 */

export function rejectUnknown(params: FormObject, allowed: readonly string[], prefix = ""): void {
  for (const key of Object.keys(params)) {
    if (!allowed.includes(key)) throw unknownParam(prefix ? `${prefix}[${key}]` : key);
  }
}

export function optionalString(params: FormObject, key: string, param = key): string | undefined {
  const value = params[key];
  if (value === undefined) return undefined;
  if (typeof value !== "string") throw invalidRequest(`Invalid string: ${param} must be a string.`, param, "parameter_invalid_string");
  return value;
}

export function requiredString(params: FormObject, key: string, param = key): string {
  const value = optionalString(params, key, param);
  if (value === undefined || value === "") throw missingParam(param);
  return value;
}

export function optionalInt(params: FormObject, key: string, param = key): number | undefined {
  const value = params[key];
  if (value === undefined) return undefined;
  if (typeof value !== "string" || !/^-?\d+$/.test(value)) throw invalidInteger(param, typeof value === "string" ? value : "[object]");
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw invalidInteger(param, value);
  return n;
}

export function requiredInt(params: FormObject, key: string, param = key): number {
  const value = optionalInt(params, key, param);
  if (value === undefined) throw missingParam(param);
  return value;
}

export function optionalObject(params: FormObject, key: string, param = key): FormObject | undefined {
  const value = params[key];
  if (value === undefined) return undefined;
  if (typeof value !== "object" || Array.isArray(value)) throw invalidRequest(`Invalid hash: ${param} must be a hash.`, param, "parameter_invalid_hash");
  return value;
}

export function requiredObject(params: FormObject, key: string, param = key): FormObject {
  const value = optionalObject(params, key, param);
  if (value === undefined) throw missingParam(param);
  return value;
}

/** Arrays arrive as `key[0]=…`; a lone value (`key=…`) is not an array. */
export function optionalArray(params: FormObject, key: string, param = key): FormValue[] | undefined {
  const value = params[key];
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) throw invalidRequest(`Invalid array: ${param} must be an array.`, param, "parameter_invalid_array");
  return value;
}

export function stringList(params: FormObject, key: string): string[] | undefined {
  const list = optionalArray(params, key);
  if (!list) return undefined;
  return list.map((item, i) => {
    if (typeof item !== "string") throw invalidRequest(`Invalid string: ${key}[${i}] must be a string.`, `${key}[${i}]`);
    return item;
  });
}

/** Stripe metadata: up to 50 string keys (40 chars) and values (500 chars); `metadata=""` clears it. */
export function metadataParam(params: FormObject, key = "metadata"): Record<string, string> | undefined {
  const value = params[key];
  if (value === undefined) return undefined;
  if (value === "") return {};
  const hash = optionalObject(params, key);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(hash ?? {})) {
    if (typeof v !== "string") throw invalidRequest(`Invalid string: ${key}[${k}] must be a string.`, `${key}[${k}]`);
    if (k.length > 40) throw invalidRequest(`Metadata keys can have up to 40 characters.`, `${key}[${k}]`);
    if (v.length > 500) throw invalidRequest(`Metadata values can have up to 500 characters.`, `${key}[${k}]`);
    out[k] = v;
  }
  if (Object.keys(out).length > 50) throw invalidRequest("Metadata can have up to 50 keys.", key);
  return out;
}

export function expandList(params: FormObject): string[] {
  return stringList(params, "expand") ?? [];
}

/** `limit` (1–100, default 10), `starting_after`, `ending_before` of a list call. */
export function listParams(params: FormObject): { limit: number; startingAfter?: string; endingBefore?: string } {
  const limit = optionalInt(params, "limit") ?? 10;
  if (limit < 1 || limit > 100) throw invalidRequest("This value must be greater than or equal to 1 and less than or equal to 100.", "limit", "parameter_invalid_integer");
  const startingAfter = optionalString(params, "starting_after");
  const endingBefore = optionalString(params, "ending_before");
  return { limit, ...(startingAfter ? { startingAfter } : {}), ...(endingBefore ? { endingBefore } : {}) };
}
