import type { TestProject } from 'vitest/node';
import { hasRedisServer, startRedisServer } from '../../cli/redis-server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

/**
 * The suite's Redis: REDIS_URL when set, else a container when an engine answers, else a
 * redis-server of its own on a free port. Tests isolate themselves with a unique queue prefix.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const fromEnv = process.env.REDIS_URL;
  if (fromEnv) {
    project.provide('redisUrl', fromEnv);
    return async () => {};
  }
  const container = await startContainer();
  if (container) {
    project.provide('redisUrl', container.url);
    return container.stop;
  }
  if (!hasRedisServer()) {
    throw new Error('Tests need Redis: set REDIS_URL, run a container engine, or install redis-server.');
  }
  // As production runs it: with the append-only file that workers require.
  const server = await startRedisServer({ appendOnly: true });
  project.provide('redisUrl', server.url);
  return () => server.destroy();
}

async function startContainer(): Promise<{ url: string; stop: () => Promise<void> } | undefined> {
  const { GenericContainer, getContainerRuntimeClient, Wait } = await import('testcontainers');
  try {
    await getContainerRuntimeClient();
  } catch {
    return undefined;
  }
  const container = await new GenericContainer('redis:7-alpine')
    .withExposedPorts(6379)
    .withWaitStrategy(Wait.forLogMessage('Ready to accept connections'))
    .start();
  return {
    url: `redis://${container.getHost()}:${container.getMappedPort(6379)}`,
    stop: async () => {
      await container.stop();
    },
  };
}
