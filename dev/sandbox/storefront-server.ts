import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import path from "node:path";

/** The storefront's pages by path; `{FRONTEND_URL}/checkout/success` and `/checkout/cancel` are the contract's. */
const PAGES: Record<string, string> = {
  "/": "index.html",
  "/signin": "signin.html",
  "/orders": "orders.html",
  "/checkout/success": "success.html",
  "/checkout/cancel": "cancel.html",
};

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
};

export interface StorefrontOptions {
  port: number;
  host?: string;
  /** Where the browser reaches the API, by port: the page uses its own host name (one site for the cookie). */
  apiPort: number;
  /** Shown on the sign-in page. */
  demo: { email: string; password: string };
  /** Folder of the static files (default: ../storefront). */
  dir?: string;
}

export interface Storefront {
  close(): Promise<void>;
}

/**
 * Serves the demo storefront (plain files, no build step) on its own origin, as a real
 * frontend would be, so the API's CORS allowlist and the SameSite=Strict refresh cookie are
 * exercised for real. Files are read on every request: edit them and reload the page.
 */
export async function startStorefront(options: StorefrontOptions): Promise<Storefront> {
  const dir = options.dir ?? path.join(import.meta.dirname, "..", "storefront");
  const apiOrigins = ["localhost", "127.0.0.1"].map((host) => `http://${host}:${options.apiPort}`).join(" ");
  const headers = {
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    // What we would ship: our own scripts only, API calls to the API only.
    "content-security-policy": `default-src 'self'; connect-src 'self' ${apiOrigins}; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'`,
  };
  const configModule = `export const config = ${JSON.stringify({ apiPort: options.apiPort, demo: options.demo })};\n`;

  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? "/", "http://storefront");
      if (req.method !== "GET" && req.method !== "HEAD") {
        res.writeHead(405, { ...headers, allow: "GET, HEAD" }).end();
        return;
      }
      if (url.pathname === "/config.js") {
        res.writeHead(200, { ...headers, "content-type": TYPES[".js"] }).end(configModule);
        return;
      }
      const page = PAGES[url.pathname.replace(/(.)\/+$/, "$1")];
      const file = page ?? (/^\/assets\/[a-z0-9-]+\.(js|css|svg)$/.test(url.pathname) ? url.pathname.slice(1) : undefined);
      if (!file) {
        res.writeHead(404, { ...headers, "content-type": TYPES[".html"] }).end(await readFile(path.join(dir, "not-found.html")));
        return;
      }
      try {
        const body = await readFile(path.join(dir, file));
        res.writeHead(200, { ...headers, "content-type": TYPES[path.extname(file)] ?? "application/octet-stream" }).end(req.method === "HEAD" ? undefined : body);
      } catch {
        res.writeHead(404, headers).end();
      }
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500, headers);
      res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
