import express from "express";

/**
 * A bare Express 5 route: what any Express handler on this machine can do at most.
 * `/health` of the API is compared with it. Started by bench/run.ts as its own process.
 */
const app = express();
app.get("/health", (_req, res) => {
  res.json({ status: "ok" });
});

const server = app.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  const address = server.address() as { port: number };
  process.stdout.write(`listening ${address.port}\n`);
});
server.keepAliveTimeout = 65_000;
process.on("SIGTERM", () => {
  server.close();
  server.closeAllConnections();
  process.exit(0);
});
