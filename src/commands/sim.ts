import { createRandom } from '../random.ts';
import { exitOnSignals } from '../shutdown.ts';
import { startSimulator } from '../sim/server.ts';
import { SimStore, seedStore } from '../sim/store.ts';
import { type CommandResult, createContext } from './context.ts';

/** `ordermanagement sim`: the Order and Stock APIs of the contract, in memory, seeded from SIM_*. */
export async function simCommand(): Promise<CommandResult> {
  const { config, logger } = createContext('sim');
  const random = createRandom(config.randomSeed);
  const store = new SimStore();
  seedStore(store, { orders: config.simOrders, stock: config.simStock, random });
  const sim = await startSimulator({
    store,
    random,
    errorRate: config.simErrorRate,
    latencyMs: config.simLatencyMs,
    nonAtomic: config.simNonAtomic,
    host: config.simHost,
    orderPort: config.simOrderPort,
    stockPort: config.simStockPort,
  });
  logger.info('simulator listening', { orderApi: sim.orderUrl, stockApi: sim.stockUrl, orders: config.simOrders });
  exitOnSignals(() => sim.close(), logger, config.shutdownTimeoutMs);
  return 'running';
}
