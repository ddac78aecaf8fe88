import { Router } from "express";
import type { AppContext } from "../context.js";
import { resolveAppVersion } from "../platform/metrics/app-version.js";
import { buildOpenApiDocument } from "./document.js";

/**
 * /openapi.json and a readable /docs page, outside production unless DOCS_ENABLED=true.
 * The page is plain HTML built from the document: no external assets, nothing to load.
 */
export function createDocsRouter(ctx: AppContext): Router {
  const router = Router();
  if (!ctx.config.http.docsEnabled) return router;
  const document = buildOpenApiDocument(resolveAppVersion(ctx.config.appVersion));

  router.get("/openapi.json", (_req, res) => {
    res.json(document);
  });
  router.get("/docs", (_req, res) => {
    res.type("html").send(docsPage(document));
  });
  return router;
}

const escape = (text: string) => text.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);

function docsPage(document: Record<string, unknown>): string {
  const paths = document.paths as Record<string, Record<string, { summary: string; responses: Record<string, unknown>; requestBody?: unknown }>>;
  const rows = Object.entries(paths)
    .flatMap(([path, ops]) =>
      Object.entries(ops).map(
        ([method, op]) => `<section><h2><span class="m ${method}">${method.toUpperCase()}</span> <code>${escape(path)}</code></h2>
<p>${escape(op.summary)}</p><p class="s">Responses: ${Object.keys(op.responses).join(", ")}</p>
${op.requestBody ? `<details><summary>Request body</summary><pre>${escape(JSON.stringify(op.requestBody, null, 2))}</pre></details>` : ""}</section>`,
      ),
    )
    .join("\n");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Stripe Checkout API</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1a1a2e}
section{border-top:1px solid #ddd;padding:.5rem 0}h2{font-size:1.05rem;margin:.3rem 0}.m{display:inline-block;min-width:3.5rem;padding:0 .4rem;border-radius:4px;color:#fff;font-size:.8rem;text-align:center}
.get{background:#2e7d32}.post{background:#1565c0}.s{color:#555;font-size:.9rem}pre{background:#f6f8fa;padding:.6rem;overflow:auto}</style></head>
<body><h1>Stripe Checkout API</h1><p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).</p>${rows}</body></html>`;
}
