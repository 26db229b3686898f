import { hostname } from 'node:os';
import { createQueues } from '../../src/queue/queues.ts';
import { reachRedis } from '../../src/redis/connection.ts';
import { acceptLoss } from '../../src/stock/epoch.ts';
import { stockKeys } from '../../src/stock/keys.ts';
import type { Command } from './command.ts';
import { createContext } from './context.ts';

const CHECK = [
  'Before you accept, for every order whose job was in progress when Redis lost its data: compare the',
  "Stock API's levels with the orders shipped, and set the status of any order whose stock was already",
  'taken (its decrease happened but its status was not written). The ledger starts empty: an order still',
  'registered will be decreased again.',
].join('\n');

/** `ordermanagement accept-loss`: after Redis lost the decrease ledger, a person lets decreases go on. */
export const acceptLossCommand: Command = {
  summary: 'after Redis lost the decrease ledger: let stock be taken again, once checked',
  usage: '[--checked]',
  description: [
    'When Redis loses its data (a restart without persistence, a flush), the workers stop taking stock: the',
    'decrease ledger that says which orders were already decreased is gone. Without --checked, this says',
    'whether that happened and what to check. With --checked, it starts a new, empty ledger and every worker',
    'goes on within seconds.',
    '',
    CHECK,
  ].join('\n'),
  options: {
    checked: { type: 'boolean', description: 'the orders in progress and the stock were checked: go on' },
  },
  args: 'none',
  settings: ['redis', 'upstream'],
  async run({ flags }) {
    const { config, logger } = createContext('accept-loss');
    const queues = createQueues(config, 'fail-fast', logger);
    try {
      await reachRedis(queues.redis, config);
      const keys = stockKeys(config);
      const [state, lostAt, noticedBy] = await queues.redis.hmget(keys.epoch, 'state', 'lostAt', 'noticedBy');
      if (state !== 'lost') {
        process.stdout.write(`the decrease ledger of ${keys.stockApi} has lost nothing: nothing to accept\n`);
        return 0;
      }
      const when = lostAt ? new Date(Number(lostAt)).toISOString() : 'an unknown time';
      if (!flags.checked) {
        process.stderr.write(
          `Redis lost the decrease ledger of ${keys.stockApi} (noticed ${when} by ${noticedBy ?? 'a worker'}); no stock is taken.\n${CHECK}\nThen run: ordermanagement accept-loss --checked\n`,
        );
        return 1;
      }
      await acceptLoss(queues.redis, keys, `${hostname()}:${process.pid}`);
      process.stdout.write(`accepted: a new decrease ledger for ${keys.stockApi}; workers take stock again\n`);
      return 0;
    } finally {
      await queues.close();
    }
  },
};
