import type { Config } from '../config/schema.ts';
import { type DecreaseEntry, type EntryState, type Level, parseLevel } from '../domain/decrease.ts';
import { isWoodType, type Outcome, type WoodType } from '../domain/order.ts';
import { DecreaseInDoubt } from '../errors.ts';
import type { RedisConnection } from '../redis/connection.ts';
import { createScript } from '../redis/script.ts';
import type { LockHold } from './lock.ts';

/**
 * The decrease ledger: whether each order's stock was taken, kept in Redis apart from the jobs, so
 * that removing, retrying or replaying a job can never send a second decrease for its order.
 *
 * One entry per request to the Stock API (a decrease covers one or more orders of one wood type),
 * one record per order pointing at its entry. An entry is written just before its request leaves,
 * under the wood type's lock, and settled with the answer. While an entry is `pending` and its
 * answer is lost, it stays the wood type's pending decrease: the next holder of the lock resolves it
 * before sending anything else. The wood type's last known level is kept beside it for that.
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
  /** A decrease of this wood type is in doubt: it must be resolved before another is sent. `now`: Redis' clock. */
  | { readonly kind: 'resolve'; readonly entry: DecreaseEntry; readonly now: number }
  /** The wood type's level is not known: read it first, so a lost answer can be resolved by it. */
  | { readonly kind: 'level' }
  /** Every order already has a record: nothing to send. */
  | { readonly kind: 'none'; readonly recorded: readonly Recorded[] }
  /** The entry is written: send it now. */
  | { readonly kind: 'send'; readonly entry: DecreaseEntry; readonly recorded: readonly Recorded[] };

/**
 * How an entry ended: `not-taken` removes it (and its orders' records), so they may be sent again.
 * `level` becomes the wood type's known level if the entry was its pending decrease: `keep` leaves
 * the level as it is, undefined forgets it (a 2xx whose body did not say the new level).
 */
export type Settlement = { readonly level: Level | 'keep' | undefined } & (
  | { readonly result: 'taken' | 'not-taken' | 'person' }
  | { readonly result: 'refused'; readonly outcome: Exclude<Outcome, 'shipped'> }
);

/** Counters kept beside the ledger: how often answers were in doubt and how they ended. */
export interface LedgerStats {
  readonly resolvedTaken: number;
  readonly resolvedNotTaken: number;
  readonly resentWithKey: number;
  readonly toPerson: number;
  readonly decidedByPerson: number;
}

const STAT_FIELDS: Record<keyof LedgerStats, string> = {
  resolvedTaken: 'resolved-taken',
  resolvedNotTaken: 'resolved-not-taken',
  resentWithKey: 'resent-with-key',
  toPerson: 'to-person',
  decidedByPerson: 'decided-by-person',
};
export type LedgerStat = keyof LedgerStats;

/** Redis' clock, in ms: every time the ledger compares comes from it, so workers' clocks may differ. */
const NOW = `local clock = redis.call('TIME')
local now = clock[1] * 1000 + math.floor(clock[2] / 1000)`;

const BEGIN = createScript(`
${NOW}
local lockKey, woodKey = KEYS[1], KEYS[2]
local token, leaseMs, orderPrefix, entryPrefix, id, woodType, needLevel, sender =
  ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8]
local fenced = token ~= ''
if fenced then
  -- A lapsed lease nobody took is taken back: nobody can have sent a decrease of the wood type meanwhile.
  local owner = redis.call('GET', lockKey)
  if owner == token then
    redis.call('PEXPIRE', lockKey, leaseMs)
  elseif owner == false then
    redis.call('SET', lockKey, token, 'PX', leaseMs)
  else
    return cjson.encode({kind = 'lost'})
  end
  local pending = redis.call('HGET', woodKey, 'pending')
  if pending then
    local entry = redis.call('HGETALL', entryPrefix .. pending)
    if #entry > 0 then return cjson.encode({kind = 'resolve', id = pending, entry = entry, now = now}) end
    redis.call('HDEL', woodKey, 'pending')
  end
end
local recorded, ids, total = {}, {}, 0
for i = 9, #ARGV, 2 do
  local rec = redis.call('HMGET', orderPrefix .. ARGV[i], 'state', 'outcome', 'decrease')
  if rec[1] == 'pending' and fenced then
    -- In doubt from a holding without the lock (serialization switched on since): the lock's holder resolves it.
    local entry = redis.call('HGETALL', entryPrefix .. rec[3])
    if #entry > 0 then
      redis.call('HSET', woodKey, 'pending', rec[3])
      return cjson.encode({kind = 'resolve', id = rec[3], entry = entry, now = now})
    end
  end
  if rec[1] then
    recorded[#recorded + 1] = {ARGV[i], rec[1], rec[2] or ''}
  else
    ids[#ids + 1] = ARGV[i]
    total = total + tonumber(ARGV[i + 1])
  end
end
if #ids == 0 then return cjson.encode({kind = 'none', recorded = recorded}) end
local level = redis.call('HGET', woodKey, 'level') or ''
if fenced and needLevel == '1' and level == '' then return cjson.encode({kind = 'level'}) end
for _, orderId in ipairs(ids) do
  redis.call('HSET', orderPrefix .. orderId, 'state', 'pending', 'decrease', id)
  redis.call('PERSIST', orderPrefix .. orderId)
end
redis.call('HSET', entryPrefix .. id, 'woodType', woodType, 'quantity', total, 'orders', table.concat(ids, ','),
  'levelBefore', level, 'sentAt', now, 'sentBy', sender, 'state', 'pending')
if fenced then redis.call('HSET', woodKey, 'pending', id) end
return cjson.encode({kind = 'send', id = id, recorded = recorded, entry = redis.call('HGETALL', entryPrefix .. id)})
`);

/** Marks a pending entry in doubt; from when it is settled is reckoned on Redis' clock. */
const MARK_IN_DOUBT = createScript(`
${NOW}
local state = redis.call('HGET', KEYS[1], 'state')
if state ~= 'pending' then return {state or 'gone', now} end
local settleAt = now
if ARGV[2] == '0' then settleAt = tonumber(redis.call('HGET', KEYS[1], 'sentAt')) + tonumber(ARGV[3]) end
redis.call('HSET', KEYS[1], 'doubt', ARGV[1], 'settleAt', settleAt)
return {'pending', now}
`);

const SETTLE = createScript(`
${NOW}
local woodKey, statsKey, personKey = KEYS[1], KEYS[2], KEYS[3]
local orderPrefix, entryPrefix, id, result, outcome, level, keepSeconds, stat, levelFound =
  ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9]
local key = entryPrefix .. id
local state = redis.call('HGET', key, 'state')
if state ~= 'pending' and state ~= 'person' then return state or 'gone' end
for orderId in string.gmatch(redis.call('HGET', key, 'orders'), '[^,]+') do
  local rec = orderPrefix .. orderId
  if redis.call('HGET', rec, 'decrease') == id then
    if result == 'not-taken' then
      redis.call('DEL', rec)
    else
      redis.call('HSET', rec, 'state', result, 'outcome', outcome)
      if result ~= 'person' then redis.call('EXPIRE', rec, keepSeconds) end
    end
  end
end
if result == 'not-taken' then
  redis.call('DEL', key)
else
  redis.call('HSET', key, 'state', result, 'outcome', outcome, 'resolvedAt', now)
  if levelFound ~= '' then redis.call('HSET', key, 'levelFound', levelFound) end
  if result ~= 'person' then redis.call('EXPIRE', key, keepSeconds) end
end
if result == 'person' then redis.call('ZADD', personKey, now, id) else redis.call('ZREM', personKey, id) end
if redis.call('HGET', woodKey, 'pending') == id then
  redis.call('HDEL', woodKey, 'pending')
  if level == '' then redis.call('HDEL', woodKey, 'level') elseif level ~= 'keep' then redis.call('HSET', woodKey, 'level', level) end
end
if stat ~= '' then redis.call('HINCRBY', statsKey, stat, 1) end
return 'ok'
`);

/** Only the holder of the lock may record a level it read: one read before a pause would be stale. */
const SET_LEVEL = createScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[2], 'level', ARGV[2])
return 1
`);

/**
 * An order's record and its entry. Reading a settled one keeps it for another LEDGER_KEEP_SECONDS: a
 * job still asking about its order (retrying, waiting to write the status) must not outlive it.
 */
const READ_ORDER = createScript(`
local record = redis.call('HGETALL', KEYS[1])
if #record == 0 then return {record, {}} end
local fields = {}
for i = 1, #record, 2 do fields[record[i]] = record[i + 1] end
local entryKey = ARGV[1] .. (fields.decrease or '')
if fields.state == 'taken' or fields.state == 'refused' then
  redis.call('EXPIRE', KEYS[1], ARGV[2])
  redis.call('EXPIRE', entryKey, ARGV[2])
end
return {record, redis.call('HGETALL', entryKey)}
`);

/** Lua's cjson encodes an empty table as an object: read either as a list. */
const list = <T>(value: unknown): T[] => (Array.isArray(value) ? (value as T[]) : []);

function pairs(flat: readonly string[]): Record<string, string> {
  const record: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) record[flat[i] as string] = flat[i + 1] as string;
  return record;
}

const OUTCOMES: readonly string[] = ['shipped', 'blocked', 'closed'];
const STATES: readonly string[] = ['pending', 'taken', 'refused', 'person'];
const asOutcome = (text: string | undefined): Outcome | undefined =>
  text !== undefined && OUTCOMES.includes(text) ? (text as Outcome) : undefined;
const asNumber = (text: string | undefined): number | undefined =>
  text === undefined || text === '' ? undefined : Number(text);

function entryFrom(id: string, fields: Record<string, string>): DecreaseEntry | undefined {
  const { woodType, state } = fields;
  if (!isWoodType(woodType) || state === undefined || !STATES.includes(state)) return undefined;
  return {
    id,
    woodType,
    quantity: Number(fields.quantity),
    orders: (fields.orders ?? '').split(',').filter(Boolean).map(Number),
    levelBefore: parseLevel(fields.levelBefore),
    sentAt: Number(fields.sentAt),
    sentBy: fields.sentBy ?? '',
    state: state as EntryState,
    outcome: asOutcome(fields.outcome),
    doubt: fields.doubt || undefined,
    settleAt: asNumber(fields.settleAt),
    levelFound: parseLevel(fields.levelFound),
    resolvedAt: asNumber(fields.resolvedAt),
  };
}

const levelText = (level: Level | 'keep' | undefined): string => (level === undefined ? '' : String(level));

/** QUEUE_PREFIX (its hash tag keeps the ledger in the queues' Cluster slot) and LEDGER_KEEP_SECONDS. */
export type LedgerOptions = Pick<Config, 'queuePrefix' | 'ledgerKeepSeconds'>;

export type Ledger = ReturnType<typeof createLedger>;

export function createLedger(
  redis: RedisConnection,
  { queuePrefix: prefix, ledgerKeepSeconds: keepSeconds }: LedgerOptions,
) {
  const orderPrefix = `${prefix}:ledger:order:`;
  const entryPrefix = `${prefix}:ledger:decrease:`;
  const statsKey = `${prefix}:ledger:stats`;
  const personKey = `${prefix}:ledger:person`;
  const woodKey = (woodType: string) => `${prefix}:ledger:wood:${woodType}`;

  async function entry(id: string): Promise<DecreaseEntry | undefined> {
    return entryFrom(id, await redis.hgetall(entryPrefix + id));
  }

  return {
    /**
     * Records that a decrease of `orders` is about to be sent, unless an order already has a record.
     * Under a lock (`hold`), only while it is still held, and only once the wood type has no decrease
     * in doubt and (`needLevel`) a known level.
     */
    async begin(
      hold: LockHold | undefined,
      woodType: WoodType,
      orders: readonly { readonly id: number; readonly quantity: number }[],
      options: { readonly id: string; readonly needLevel: boolean; readonly sentBy: string },
    ): Promise<Begun> {
      const raw = await BEGIN.run(
        redis,
        [hold?.key ?? `${prefix}:stock-lock:${woodType}`, woodKey(woodType)],
        [
          hold?.token ?? '',
          hold?.leaseMs ?? 0,
          orderPrefix,
          entryPrefix,
          options.id,
          woodType,
          options.needLevel ? '1' : '0',
          options.sentBy,
          ...orders.flatMap((order) => [order.id, order.quantity]),
        ],
      );
      const answer = JSON.parse(String(raw)) as {
        kind: Begun['kind'];
        id?: string;
        entry?: string[];
        recorded?: unknown;
        now?: number;
      };
      const recorded = list<[string, string, string]>(answer.recorded).map(([id, state, outcome]) => ({
        orderId: Number(id),
        state: state as EntryState,
        outcome: asOutcome(outcome),
      }));
      if (answer.kind === 'lost' || answer.kind === 'level') return { kind: answer.kind };
      if (answer.kind === 'none') return { kind: 'none', recorded };
      const found = entryFrom(answer.id ?? '', pairs(answer.entry ?? []));
      if (found === undefined) throw new DecreaseInDoubt(`ledger entry ${answer.id} of ${woodType} is unreadable`);
      return answer.kind === 'resolve'
        ? { kind: 'resolve', entry: found, now: answer.now ?? 0 }
        : { kind: 'send', entry: found, recorded };
    },

    /**
     * The answer was lost: records why, and from when the Stock API is sure to be done with the
     * request (at once if it answered itself, else `settleDelayMs` after it was sent), on Redis' clock.
     * Returns the entry as marked and Redis' clock now; undefined when it was settled meanwhile.
     */
    async markInDoubt(
      entry: DecreaseEntry,
      doubt: string,
      serviceAnswered: boolean,
      settleDelayMs: number,
    ): Promise<{ entry: DecreaseEntry; now: number } | undefined> {
      const [state, now] = (await MARK_IN_DOUBT.run(
        redis,
        [entryPrefix + entry.id],
        [doubt, serviceAnswered ? '1' : '0', settleDelayMs],
      )) as [string, number];
      if (state !== 'pending') return undefined;
      const settleAt = serviceAnswered ? now : entry.sentAt + settleDelayMs;
      return { entry: { ...entry, doubt, settleAt }, now };
    },

    /** Redis' clock, in ms: what the ledger's times are reckoned on. */
    async now(): Promise<number> {
      const [seconds, micros] = await redis.time();
      return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    },

    /** Ends an entry (see Settlement); its orders' records follow it. Returns `ok`, or the state it had already. */
    async settle(
      entry: DecreaseEntry,
      settlement: Settlement,
      options: { readonly stat?: LedgerStat; readonly levelFound?: Level } = {},
    ): Promise<string> {
      const outcome =
        settlement.result === 'taken' ? 'shipped' : settlement.result === 'refused' ? settlement.outcome : '';
      return String(
        await SETTLE.run(
          redis,
          [woodKey(entry.woodType), statsKey, personKey],
          [
            orderPrefix,
            entryPrefix,
            entry.id,
            settlement.result,
            outcome,
            levelText(settlement.level),
            keepSeconds,
            options.stat ? STAT_FIELDS[options.stat] : '',
            levelText(options.levelFound),
          ],
        ),
      );
    },

    /** Records the wood type's level read from the Stock API, only while `hold` still holds its lock. */
    async setLevel(hold: LockHold, woodType: WoodType, level: Level): Promise<boolean> {
      return (await SET_LEVEL.run(redis, [hold.key, woodKey(woodType)], [hold.token, String(level)])) === 1;
    },

    /** An entry by its id (the Idempotency-Key its request carried). */
    entry,

    /** What the ledger says of an order, or undefined when it has no record (nothing sent, or long settled). */
    async order(orderId: number): Promise<OrderRecord | undefined> {
      const [flat, flatEntry] = (await READ_ORDER.run(redis, [orderPrefix + orderId], [entryPrefix, keepSeconds])) as [
        string[],
        string[],
      ];
      const record = pairs(flat);
      const { state, decrease } = record;
      if (state === undefined || !STATES.includes(state)) return undefined;
      return {
        orderId,
        state: state as EntryState,
        outcome: asOutcome(record.outcome),
        entry: decrease === undefined ? undefined : entryFrom(decrease, pairs(flatEntry)),
      };
    },

    /** Entries only a person can settle, oldest first. */
    async waitingForPerson(): Promise<DecreaseEntry[]> {
      const ids = await redis.zrange(personKey, '0', '-1');
      const entries = await Promise.all(ids.map(entry));
      return entries.filter((found) => found !== undefined);
    },

    async stats(): Promise<LedgerStats> {
      const raw = await redis.hgetall(statsKey);
      return Object.fromEntries(
        Object.entries(STAT_FIELDS).map(([name, field]) => [name, Number(raw[field] ?? 0)]),
      ) as unknown as LedgerStats;
    },
  };
}
