// A TCP relay in front of a throwaway server, with a gate the test shuts and opens. While shut,
// a new connection is accepted and dropped at once: the client sees its connection end, as when
// the server is away, and ridescan retries. A real `pg_ctl start` takes a time of its own, up to
// seconds on a busy machine, and a case that needs the server back between two of ridescan's
// retries (0.5 s apart) cannot wait on it: behind the gate the server is back before the gate
// opens, and the gate opens the moment the case says.
import net from 'node:net';

export interface TcpGate {
  /** the port to connect to instead of the server's */
  port: number;
  /** new connections are dropped (those open stay: the server's stop ends them) */
  shut(): void;
  /** new connections reach the server again */
  open(): void;
  /** ends the relay and every connection through it */
  close(): Promise<void>;
}

export async function startTcpGate(targetPort: number, host = '127.0.0.1'): Promise<TcpGate> {
  let shut = false;
  const sockets = new Set<net.Socket>();
  const relay = net.createServer((client) => {
    if (shut) {
      client.destroy();
      return;
    }
    const upstream = net.connect(targetPort, host);
    for (const socket of [client, upstream]) sockets.add(socket);
    const end = () => {
      for (const socket of [client, upstream]) {
        socket.destroy();
        sockets.delete(socket);
      }
    };
    for (const socket of [client, upstream]) socket.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => relay.once('error', reject).listen(0, host, resolve));
  return {
    port: (relay.address() as net.AddressInfo).port,
    shut: () => void (shut = true),
    open: () => void (shut = false),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => relay.close(() => resolve()));
    },
  };
}
