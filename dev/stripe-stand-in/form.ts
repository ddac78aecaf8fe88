/**
 * Stripe's v1 wire format: `application/x-www-form-urlencoded` with nested keys such as
 * `line_items[0][price_data][unit_amount]=1999` and `expand[]=line_items`. Leaf values stay
 * strings, as on the wire; each endpoint coerces the parameters it knows.
 */

export type FormValue = string | FormValue[] | { [key: string]: FormValue };
export type FormObject = { [key: string]: FormValue };

/** Parses a query string or form body into a nested object; index-keyed objects become arrays. */
export function parseForm(encoded: string): FormObject {
  const root: Node = {};
  for (const [rawKey, value] of new URLSearchParams(encoded)) {
    const path = splitKey(rawKey);
    if (path.length === 0) continue;
    assign(root, path, value);
  }
  return toArrays(root) as FormObject;
}

/** `a[b][0][]` → ["a", "b", "0", ""] */
function splitKey(key: string): string[] {
  const open = key.indexOf("[");
  if (open <= 0) return key === "" ? [] : [key];
  const segments = [key.slice(0, open)];
  for (const match of key.slice(open).matchAll(/\[([^\]]*)\]/g)) segments.push(match[1] ?? "");
  return segments;
}

type Node = { [key: string]: Node | string };

function assign(root: Node, path: string[], value: string): void {
  let node = root;
  path.forEach((segment, i) => {
    // `key[]` appends: give each value its own numeric slot.
    const key = segment === "" ? String(Object.keys(node).length) : segment;
    if (i === path.length - 1) {
      node[key] = value;
      return;
    }
    const next = node[key];
    if (typeof next !== "object") node[key] = {};
    node = node[key] as Node;
  });
}

function toArrays(value: Node | string): FormValue {
  if (typeof value === "string") return value;
  const keys = Object.keys(value);
  const converted: FormObject = {};
  for (const key of keys) converted[key] = toArrays(value[key]!);
  if (keys.length > 0 && keys.every((k) => /^\d+$/.test(k))) {
    return keys
      .map(Number)
      .sort((a, b) => a - b)
      .map((k) => converted[String(k)]!);
  }
  return converted;
}
