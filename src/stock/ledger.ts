import type { Config } from '../config/schema.ts';
import type { DecreaseEntry, EntryState, Level } from '../domain/decrease.ts';
import type { Outcome, WoodType } from '../domain/order.ts';
import { DecreaseInDoubt } from '../errors.ts';
import { runCommand } from '../redis/commands.ts';
import type { RedisConnection } from '../redis/connection.ts';
import { type StockKeys, stockKeys } from './keys.ts';
import type { LockHold } from './lock.ts';
import { asOutcome, asState, entryFrom, list, pairs } from './records.ts';

/**
 * The decrease ledger: whether each order's stock was taken, kept in Redis apart from the jobs, so
 * that removing, retrying or replaying a job can never send a second decrease for its order.
 *
 * One entry per request to the Stock API (a decrease covers one or more orders of one wood type),
 * one record per order pointing at its entry. An entry is written just before its request leaves,
 * under the wood type's lock, and settled with the answer. While an entry is `pending` and its
 * answer is lost, it stays the wood type's pending decrease: the next holder of the lock resolves it
 * before sending anything else. The wood type's last known level is kept beside it. The scripts are
 * in src/redis/commands/ledger*.lua.
 */

/** What the ledger says of one order, with the entry behind it. */
export interface OrderRecord {
  readonly orderId: number;
  readonly state: EntryState;
  readonly outcome: Outcome | undefined;
  readonly entry: DecreaseEntry | undefined;
}

/** An order that already had a record when a decrease was about to include it. */
export interface Recorded {
  readonly orderId: number;
  readonly state: EntryState;
  readonly outcome: Outcome | undefined;
}

export type Begun =
  /** The lock was lost (its lease ran out): nothing was written, nothing may be sent. */
  | { readonly kind: 'lost' }
  /** The ledger is not the one the worker joined (Redis lost its data): nothing may be sent. */
  | { readonly kind: 'epoch' }
  /** A decrease of this wood type is in doubt: it must be resolved before another is sent. `now`: Redis' clock. */
  | { readonly kind: 'resolve'; readonly entry: DecreaseEntry; readonly now: number }
  /** Every order already has a record: nothing to send. */
  | { readonly kind: 'none'; readonly recorded: readonly Recorded[] }
  /** A level is needed to send (see Beginning) and none was read: nothing was written. */
  | { readonly kind: 'level' }
  /** The entry is written: send it now. `previous`: the level the ledger expected before this decrease. */
  | {
      readonly kind: 'send';
      readonly entry: DecreaseEntry;
      readonly recorded: readonly Recorded[];
      readonly previous: Level | undefined;
    };

/** A decrease about to be sent. */
export interface Beginning {
  /** The lock it is sent under; undefined without serialization. */
  readonly hold: LockHold | undefined;
  readonly woodType: WoodType;
  readonly orders: readonly { readonly id: number; readonly quantity: number }[];
  /** The new entry's id, which its request carries as Idempotency-Key. */
  readonly id: string;
  /** The level read under the lock just before; undefined when none was read. */
  readonly level: Level | undefined;
  /** Whether it may be sent only with a level read just before (a lost answer is judged against it). */
  readonly needLevel: boolean;
  /** The worker sending it (host:pid). */
  readonly sentBy: string;
  /** The ledger epoch the worker joined. */
  readonly epoch: string;
}

/**
 * How an entry ended: `not-taken` removes its orders' records, so they may be sent again (`judged`:
 * the level said so; the entry is kept, watched for a late landing). `level` becomes the wood type's
 * known level if the entry was its pending decrease: `keep` leaves it, undefined forgets it.
 */
export type Settlement = { readonly level: Level | 'keep' | undefined } & (
  | { readonly result: 'taken' | 'person' }
  | { readonly result: 'not-taken'; readonly judged?: boolean }
  | { readonly result: 'refused'; readonly outcome: Exclude<Outcome, 'shipped'> }
);

/** Counters kept beside the ledger: how often answers were in doubt and how they ended. */
export interface LedgerStats {
  readonly resolvedTaken: number;
  readonly resolvedNotTaken: number;
  readonly resentWithKey: number;
  readonly toPerson: number;
  readonly decidedByPerson: number;
  readonly takenTwice: number;
}

const STAT_FIELDS: Record<keyof LedgerStats, string> = {
  resolvedTaken: 'resolved-taken',
  resolvedNotTaken: 'resolved-not-taken',
  resentWithKey: 'resent-with-key',
  toPerson: 'to-person',
  decidedByPerson: 'decided-by-person',
  takenTwice: 'taken-twice',
};
export type LedgerStat = Exclude<keyof LedgerStats, 'takenTwice'>;

const levelText = (level: Level | 'keep' | undefined): string => (level === undefined ? '' : String(level));

/** The Stock API and the Order API (the keys are theirs: see keys.ts) and LEDGER_KEEP_SECONDS. */
export type LedgerOptions = Pick<Config, 'stocksUrl' | 'ordersUrl' | 'ledgerKeepSeconds'>;

export type Ledger = ReturnType<typeof createLedger>;

export function createLedger(redis: RedisConnection, options: LedgerOptions) {
  const keys: StockKeys = stockKeys(options);
  const keepSeconds = options.ledgerKeepSeconds;
  const judgedKey = (woodType: string) => `${keys.wood(woodType)}:not-taken`;

  async function entry(id: string): Promise<DecreaseEntry | undefined> {
    return entryFrom(id, await redis.hgetall(keys.entryPrefix + id));
  }

  return {
    keys,

    /**
     * Records that a decrease of `orders` is about to be sent, unless an order already has a record.
     * Under a lock, only while it is still held and once the wood type has no decrease in doubt.
     */
    async begin(beginning: Beginning): Promise<Begun> {
      const { hold, woodType } = beginning;
      const raw = await runCommand(
        redis,
        'ledgerBegin',
        [hold?.key ?? keys.lock(woodType), keys.wood(woodType), keys.epoch],
        [
          hold?.token ?? '',
          hold?.leaseMs ?? 0,
          keys.orderPrefix,
          keys.entryPrefix,
          beginning.id,
          woodType,
          levelText(beginning.level),
          beginning.sentBy,
          beginning.epoch,
          beginning.needLevel ? '1' : '0',
          ...beginning.orders.flatMap((order) => [order.id, order.quantity]),
        ],
      );
      const answer = JSON.parse(String(raw)) as {
        kind: Begun['kind'];
        id?: string;
        entry?: string[];
        recorded?: unknown;
        now?: number;
        previous?: string;
      };
      if (answer.kind === 'lost' || answer.kind === 'epoch' || answer.kind === 'level') return { kind: answer.kind };
      const recorded = list<[string, string, string]>(answer.recorded).map(([id, state, outcome]) => ({
        orderId: Number(id),
        state: asState(state) ?? 'pending',
        outcome: asOutcome(outcome),
      }));
      if (answer.kind === 'none') return { kind: 'none', recorded };
      const found = entryFrom(answer.id ?? '', pairs(answer.entry ?? []));
      if (found === undefined) throw new DecreaseInDoubt(`ledger entry ${answer.id} of ${woodType} is unreadable`);
      if (answer.kind === 'resolve') return { kind: 'resolve', entry: found, now: answer.now ?? 0 };
      const previous = answer.previous === 'none' ? 'none' : answer.previous ? Number(answer.previous) : undefined;
      return { kind: 'send', entry: found, recorded, previous };
    },

    /**
     * The answer was lost: records why, and from when the Stock API is sure to be done with the
     * request (at once if it answered itself, else `settleDelayMs` after it was sent), on Redis' clock.
     * Returns the entry as marked and Redis' clock now; undefined when it was settled meanwhile.
     */
    async markInDoubt(doubt: {
      readonly entry: DecreaseEntry;
      readonly reason: string;
      readonly serviceAnswered: boolean;
      readonly settleDelayMs: number;
    }): Promise<{ entry: DecreaseEntry; now: number } | undefined> {
      const { entry: marked, reason, serviceAnswered, settleDelayMs } = doubt;
      const [state, now] = (await runCommand(
        redis,
        'ledgerMarkInDoubt',
        [keys.entryPrefix + marked.id],
        [reason, serviceAnswered ? '1' : '0', settleDelayMs],
      )) as [string, number];
      if (state !== 'pending') return undefined;
      const settleAt = serviceAnswered ? now : marked.sentAt + settleDelayMs;
      return { entry: { ...marked, doubt: reason, settleAt }, now };
    },

    /** Redis' clock, in ms: what the ledger's times are reckoned on. */
    async now(): Promise<number> {
      const [seconds, micros] = await redis.time();
      return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    },

    /** Ends an entry (see Settlement); its orders' records follow it. Returns `ok`, or the state it had already. */
    async settle(
      settled: DecreaseEntry,
      settlement: Settlement,
      options: { readonly stat?: LedgerStat; readonly levelFound?: Level } = {},
    ): Promise<string> {
      const outcome =
        settlement.result === 'taken' ? 'shipped' : settlement.result === 'refused' ? settlement.outcome : '';
      const judged = settlement.result === 'not-taken' && settlement.judged === true;
      return String(
        await runCommand(
          redis,
          'ledgerSettle',
          [keys.wood(settled.woodType), keys.stats, keys.person, judgedKey(settled.woodType)],
          [
            keys.orderPrefix,
            keys.entryPrefix,
            settled.id,
            settlement.result,
            outcome,
            levelText(settlement.level),
            keepSeconds,
            options.stat ? STAT_FIELDS[options.stat] : '',
            levelText(options.levelFound),
            judged ? '1' : '0',
          ],
        ),
      );
    },

    /** Decreases of a wood type the level judged not taken since `since` (Redis' clock), newest first. */
    async judgedNotTaken(woodType: WoodType, since: number): Promise<DecreaseEntry[]> {
      const key = judgedKey(woodType);
      await redis.zremrangebyscore(key, '-inf', `(${since}`);
      const ids = await redis.zrevrange(key, 0, -1);
      const entries = await Promise.all(ids.map(entry));
      return entries.filter((found) => found !== undefined);
    },

    /** Flags a decrease judged not taken that landed after all; false when it was flagged already. */
    async flagTakenTwice(flagged: DecreaseEntry, level: Level | undefined): Promise<boolean> {
      return (
        (await runCommand(
          redis,
          'ledgerFlagTakenTwice',
          [keys.entryPrefix + flagged.id, judgedKey(flagged.woodType), keys.stats],
          [flagged.id, levelText(level)],
        )) === 1
      );
    },

    /** An entry by its id (the Idempotency-Key its request carried). */
    entry,

    /** What the ledger says of an order, or undefined when it has no record (nothing sent, or long settled). */
    async order(orderId: number): Promise<OrderRecord | undefined> {
      const [flat, flatEntry] = (await runCommand(
        redis,
        'ledgerReadOrder',
        [keys.orderPrefix + orderId],
        [keys.entryPrefix, keepSeconds],
      )) as [string[], string[]];
      const record = pairs(flat);
      const state = asState(record.state);
      if (state === undefined) return undefined;
      const { decrease } = record;
      return {
        orderId,
        state,
        outcome: asOutcome(record.outcome),
        entry: decrease === undefined ? undefined : entryFrom(decrease, pairs(flatEntry)),
      };
    },

    /** Entries only a person can settle, oldest first. */
    async waitingForPerson(): Promise<DecreaseEntry[]> {
      const ids = await redis.zrange(keys.person, '0', '-1');
      const entries = await Promise.all(ids.map(entry));
      return entries.filter((found) => found !== undefined);
    },

    async stats(): Promise<LedgerStats> {
      const raw = await redis.hgetall(keys.stats);
      return Object.fromEntries(
        Object.entries(STAT_FIELDS).map(([name, field]) => [name, Number(raw[field] ?? 0)]),
      ) as unknown as LedgerStats;
    },
  };
}
