import net from "node:net";

export interface TcpProxy {
  port: number;
  /** Connections accepted so far (open or closed). */
  readonly connections: number;
  /**
   * Freezes the link like a hung server or a silent network: bytes stop flowing in both
   * directions on every open and every new connection, yet nothing is closed, so the
   * client sees neither an error nor an answer.
   */
  pause(): void;
  /** Delivers everything held back, in order, and forwards again. */
  resume(): void;
  close(): Promise<void>;
}

interface Link {
  client: net.Socket;
  upstream: net.Socket;
  held: { to: net.Socket; chunk: Buffer }[];
}

/**
 * A TCP proxy on 127.0.0.1 in front of `target`. Outage tests freeze the database
 * through it: SIGSTOP on the postmaster alone does not freeze open
 * connections, and stopping the server is a different failure (connections refused).
 */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const links = new Set<Link>();
  let paused = false;
  let accepted = 0;

  const forward = (link: Link, from: net.Socket, to: net.Socket) => {
    from.on("data", (chunk: Buffer) => {
      if (paused) link.held.push({ to, chunk });
      else to.write(chunk);
    });
  };
  const flush = (link: Link) => {
    for (const { to, chunk } of link.held.splice(0)) if (!to.destroyed) to.write(chunk);
  };

  const server = net.createServer((client) => {
    accepted += 1;
    const upstream = net.connect(target.port, target.host);
    const link: Link = { client, upstream, held: [] };
    links.add(link);
    forward(link, client, upstream);
    forward(link, upstream, client);
    // One side closing closes the other, as a real link would (never while paused:
    // a frozen peer does not say goodbye).
    const close = () => {
      if (paused) return;
      flush(link);
      client.destroy();
      upstream.destroy();
      links.delete(link);
    };
    for (const socket of [client, upstream]) {
      socket.on("error", () => undefined);
      socket.on("close", close);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));

  return {
    port: (server.address() as net.AddressInfo).port,
    get connections() {
      return accepted;
    },
    pause() {
      paused = true;
    },
    resume() {
      paused = false;
      for (const link of links) {
        flush(link);
        if (link.client.destroyed || link.upstream.destroyed) {
          link.client.destroy();
          link.upstream.destroy();
          links.delete(link);
        }
      }
    },
    async close() {
      paused = false;
      for (const link of links) {
        link.client.destroy();
        link.upstream.destroy();
      }
      links.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
