import { fileURLToPath } from 'node:url';
import type { Config } from '../src/config/schema.ts';
import type { Queues } from '../src/queue/queues.ts';
import type { BenchChild } from './child.ts';
import { spawnNode } from './child.ts';
import type { Cleanup } from './cleanup.ts';
import { workerEnv } from './config.ts';
import { waitUntil } from './wait.ts';
import { shippedNodeOptions } from './worker-process.ts';

const CLI = fileURLToPath(new URL('../cli/ordermanagement.ts', import.meta.url));

export interface OmWorkerOptions {
  readonly count: number;
  /** Run with telemetry, as the production entry point does; off, it runs with OTEL_SDK_DISABLED=true. */
  readonly telemetry?: boolean;
  /** Variables on top of the run's configuration: the OTLP endpoint, a setting under comparison. */
  readonly env?: Record<string, string>;
  /** Node flags after the image's NODE_OPTIONS, so they win (a CPU profile, a heap limit): see worker-process.ts. */
  readonly nodeFlags?: readonly string[];
  /** Keep each process's full output in this directory. */
  readonly logDir?: string;
}

/**
 * Real `ordermanagement worker` processes, as they run in production (with the image's Node options),
 * from the TypeScript sources.
 * Resolves once every process has both its workers connected, so start-up is not timed.
 */
export async function startOmWorkers(
  cleanup: Cleanup,
  config: Config,
  queues: Pick<Queues, 'cycles' | 'orders'>,
  options: OmWorkerOptions,
): Promise<BenchChild[]> {
  const children: BenchChild[] = [];
  for (let i = 0; i < options.count; i++) children.push(spawnOm(cleanup, config, 'worker', `worker ${i + 1}`, options));
  await waitUntil(
    'the workers to connect',
    async () =>
      (await queues.orders.getWorkersCount()) >= options.count &&
      (await queues.cycles.getWorkersCount()) >= options.count,
    { timeoutMs: 30_000, intervalMs: 50, onPoll: () => assertAllAlive(children) },
  );
  return children;
}

/**
 * One real `ordermanagement <command>` process (with the image's Node options), not waited for: a
 * measurement that times from the spawn counts its start-up, as a user's clock would.
 */
export function spawnOm(
  cleanup: Cleanup,
  config: Config,
  command: 'worker' | 'start',
  name: string,
  options: Omit<OmWorkerOptions, 'count'>,
): BenchChild {
  const args = [...shippedNodeOptions(), ...(options.nodeFlags ?? []), CLI, command];
  const env = workerEnv(config, { ...(options.telemetry ? {} : { OTEL_SDK_DISABLED: 'true' }), ...options.env });
  const child = spawnNode(name, args, env, options.logDir);
  cleanup.add(name, () => child.stop());
  return child;
}

export function assertAllAlive(children: readonly BenchChild[]): void {
  for (const child of children) child.assertAlive();
}
