import type { AddressInfo } from 'node:net';
import { connect, createServer, type Server, type Socket } from 'node:net';

export type ProxyMode = 'up' | 'refuse' | 'hang';

/**
 * A TCP proxy in front of an upstream, to break it the ways networks break: `refuse` closes the
 * listening socket (connection refused), `hang` accepts connections and never answers (timeouts),
 * `up` forwards again. Existing connections are cut on every change.
 */
export interface FaultProxy {
  readonly url: string;
  set(mode: ProxyMode): Promise<void>;
  close(): Promise<void>;
}

export async function startProxy(target: string): Promise<FaultProxy> {
  const { hostname, port: targetPort } = new URL(target);
  const sockets = new Set<Socket>();
  let mode: ProxyMode = 'up';
  let server: Server | undefined;
  let port = 0;

  const listen = async () => {
    const next = createServer((client) => {
      sockets.add(client);
      client.on('close', () => sockets.delete(client));
      client.on('error', () => client.destroy());
      if (mode === 'hang') return;
      const upstream = connect(Number(targetPort), hostname);
      sockets.add(upstream);
      upstream.on('close', () => sockets.delete(upstream));
      upstream.on('error', () => client.destroy());
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => next.listen(port, '127.0.0.1', resolve));
    port = (next.address() as AddressInfo).port;
    server = next;
  };
  const unlisten = async () => {
    const current = server;
    server = undefined;
    for (const socket of sockets) socket.destroy();
    if (current) await new Promise((resolve) => current.close(resolve));
  };

  await listen();
  return {
    url: `http://127.0.0.1:${port}`,
    async set(next) {
      mode = next;
      for (const socket of sockets) socket.destroy();
      if (next === 'refuse') await unlisten();
      else if (server === undefined) await listen();
    },
    close: unlisten,
  };
}
