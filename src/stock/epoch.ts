import { randomUUID } from 'node:crypto';
import { LedgerLost } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { runCommand } from '../redis/commands.ts';
import type { RedisConnection } from '../redis/connection.ts';
import { ledgerLost } from '../telemetry/metrics.ts';
import type { StockKeys } from './keys.ts';
import { pairs } from './records.ts';

/**
 * Which incarnation of Redis' data the workers know. A Redis that restarts without persistence, or
 * is flushed, forgets the ledger: an order whose stock was taken but whose status was not written
 * yet would be decreased again. Every worker joins the epoch at start and every decrease checks it
 * (ledgerBegin.lua); a worker that finds it gone or changed declares the loss for all, and decreases
 * stop until a person accepts it (`ordermanagement accept-loss`), having checked the stock.
 */
export class LedgerEpoch {
  readonly #redis: RedisConnection;
  readonly #keys: StockKeys;
  readonly #logger: Logger;
  readonly #worker: string;
  #id: string | undefined;
  #lost = false;

  constructor(redis: RedisConnection, keys: StockKeys, options: { readonly logger: Logger; readonly worker: string }) {
    this.#redis = redis;
    this.#keys = keys;
    this.#logger = options.logger;
    this.#worker = options.worker;
    ledgerLost.addCallback(this.#observe);
  }

  /** The epoch joined; decreases carry it so a script can refuse them once it is not the ledger's any more. */
  get id(): string {
    if (this.#id === undefined) throw new LedgerLost('the decrease ledger was not joined');
    return this.#id;
  }

  get lost(): boolean {
    return this.#lost;
  }

  /** Joins the ledger's epoch, creating it in a Redis that has none. A loss waiting for a person stops decreases at once. */
  async join(): Promise<void> {
    const fields = pairs(
      (await runCommand(this.#redis, 'ledgerJoinEpoch', [this.#keys.epoch], [randomUUID(), this.#worker])) as string[],
    );
    this.#id = fields.id;
    if (fields.state === 'lost') {
      this.#lost = true;
      this.#logger.error(this.#lostMessage(fields.lostAt), { stockApi: this.#keys.stockApi });
      return;
    }
    if (fields.by === this.#worker) {
      this.#logger.warn(
        'this Redis had no decrease ledger: a new one starts. If it lost its data (a restart without AOF, a flush), orders whose stock was taken but whose status was not written may be decreased again; check them',
        { epoch: fields.id, stockApi: this.#keys.stockApi },
      );
    }
  }

  /**
   * A script found the ledger is not the epoch joined: declares the loss for every worker, or adopts
   * the epoch a person started meanwhile. Returns whether decreases may go on.
   */
  async lose(): Promise<boolean> {
    const [result, accepted] = (await runCommand(
      this.#redis,
      'ledgerLoseEpoch',
      [this.#keys.epoch],
      [this.#id ?? '', this.#worker],
    )) as [string, string];
    if (result === 'accepted') {
      this.#adopt(accepted);
      return true;
    }
    if (!this.#lost) {
      this.#lost = true;
      this.#logger.error(this.#lostMessage(String(Date.now())), { joined: this.#id, stockApi: this.#keys.stockApi });
    }
    return false;
  }

  /** Looks at the epoch without a decrease: notices a loss (a flush while idle), or a person's acceptance. */
  async check(): Promise<void> {
    const [id, state, by] = await this.#redis.hmget(this.#keys.epoch, 'id', 'state', 'by');
    if (this.#lost) {
      if (state === 'ok' && by === 'person' && id) this.#adopt(id);
      return;
    }
    if (id !== this.#id || state !== 'ok') await this.lose();
  }

  #adopt(id: string): void {
    const was = this.#lost;
    this.#id = id;
    this.#lost = false;
    if (was) this.#logger.warn('a person accepted the loss of the decrease ledger: decreases go on', { epoch: id });
  }

  #lostMessage(at: string | undefined): string {
    const when = at === undefined || at === '' ? '' : ` (noticed ${new Date(Number(at)).toISOString()})`;
    return `Redis lost the decrease ledger${when}: no stock is taken until a person checks the orders in progress and the stock, then runs \`ordermanagement accept-loss\``;
  }

  readonly #observe = (result: { observe(value: number): void }) => result.observe(this.#lost ? 1 : 0);

  close(): void {
    ledgerLost.removeCallback(this.#observe);
  }
}

/** A person accepts the loss: a new epoch, from an empty ledger. Returns the state the epoch had. */
export async function acceptLoss(redis: RedisConnection, keys: StockKeys, by: string): Promise<string> {
  return String(await runCommand(redis, 'ledgerAcceptLoss', [keys.epoch], [randomUUID(), by]));
}
