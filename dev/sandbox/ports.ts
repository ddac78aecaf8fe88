import net from "node:net";

export interface NamedPort {
  /** What would listen there, for the message: "the API", "PostgreSQL", … */
  name: string;
  port: number;
  /** The variable that moves it. */
  variable: string;
}

export class PortTakenError extends Error {
  override name = "PortTakenError";
  constructor(readonly taken: NamedPort[]) {
    super(taken.map((p) => `port ${p.port} (${p.name}) is already in use`).join("; "));
  }
}

function canListen(port: number, host: string): Promise<boolean | "unsupported"> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", (err: NodeJS.ErrnoException) => {
      // A machine without IPv6 cannot bind "::"; the IPv4 checks still decide.
      resolve(err.code === "EADDRNOTAVAIL" || err.code === "EAFNOSUPPORT" ? "unsupported" : false);
    });
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * A port counts as taken when anything listens on it, on loopback or on every interface
 * (the API listens on all of them). Checked for all ports before anything starts, so the
 * developer learns about every conflict at once.
 */
export async function findTakenPorts(ports: NamedPort[]): Promise<NamedPort[]> {
  const taken: NamedPort[] = [];
  for (const entry of ports) {
    for (const host of ["127.0.0.1", "0.0.0.0", "::"]) {
      if ((await canListen(entry.port, host)) === false) {
        taken.push(entry);
        break;
      }
    }
  }
  return taken;
}

/** Throws PortTakenError naming every port that is taken. */
export async function assertPortsFree(ports: NamedPort[]): Promise<void> {
  const taken = await findTakenPorts(ports);
  if (taken.length > 0) throw new PortTakenError(taken);
}
