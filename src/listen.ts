import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StartupError } from './errors.ts';

/** Request bodies above this are refused with 413 before they are buffered, by every server here. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** A server this process runs: where it listens, and how to stop it. */
export interface Listening {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Listens on `host:port`. A port in use or an address that cannot be bound stops the command with a
 * message naming the variable that chose it, rather than a stack trace.
 */
export async function listen(server: Server, host: string, port: number, variable: string): Promise<Listening> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const why =
        error.code === 'EADDRINUSE'
          ? `port ${port} on ${host} is already in use`
          : error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND'
            ? `${host} is not an address of this machine`
            : error.code === 'EACCES'
              ? `port ${port} needs privileges this process does not have`
              : error.message;
      reject(new StartupError(`cannot listen on ${host}:${port} (${variable}): ${why}`, { cause: error }));
    });
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shownHost}:${address.port}`,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
