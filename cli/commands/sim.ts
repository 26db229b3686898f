import { createRandom } from '../../src/random.ts';
import { referenceCapacity } from '../../src/sim/capacity.ts';
import { startSimulator } from '../../src/sim/server.ts';
import { SimStore, seedStore } from '../../src/sim/store.ts';
import { openStoreFile, type StoreFile } from '../../src/sim/store-file.ts';
import { exitOnSignals } from '../shutdown.ts';
import type { Command } from './command.ts';
import { createContext } from './context.ts';

/** `ordermanagement sim`: the Order and Stock APIs of the contract, in memory, seeded from SIM_*. */
export const simCommand: Command = {
  summary: 'run the Order & Stock API simulator',
  usage: '',
  description:
    'Serves the Order API and the Stock API of the upstream contract from memory, seeded with SIM_ORDERS orders and\nSIM_STOCK (or kept in SIM_DATA_FILE across restarts), failing on purpose at SIM_ERROR_RATE as the reference\nservices do. For development and tests.',
  options: {},
  args: 'none',
  settings: ['sim', 'telemetry'],
  async run() {
    const { config, logger } = createContext('sim');
    const random = createRandom(config.randomSeed);
    const seeded = () => {
      const store = new SimStore();
      seedStore(store, { orders: config.simOrders, stock: config.simStock, random });
      return store;
    };
    const file: StoreFile | undefined = config.simDataFile
      ? await openStoreFile(config.simDataFile, seeded, (err) =>
          logger.warn('cannot save the simulator state', { err }),
        )
      : undefined;
    const store = file?.store ?? seeded();
    if (file?.loaded) logger.info('simulator state loaded', { file: config.simDataFile, orders: store.orders.size });
    const sim = await startSimulator({
      store,
      random,
      errorRate: config.simErrorRate,
      latencyMs: config.simLatencyMs,
      nonAtomic: config.simNonAtomic,
      ...(config.simCapacity === 'reference' ? { capacity: referenceCapacity() } : {}),
      host: config.simHost,
      orderPort: config.simOrderPort,
      stockPort: config.simStockPort,
    });
    logger.info('simulator listening', { orderApi: sim.orderUrl, stockApi: sim.stockUrl, orders: store.orders.size });
    exitOnSignals(
      async () => {
        await sim.close();
        await file?.close();
      },
      logger,
      config.shutdownTimeoutMs,
    );
    return 'running';
  },
};
