import { type DecreaseEntry, type EntryState, parseLevel } from '../domain/decrease.ts';
import { isWoodType, type Outcome } from '../domain/order.ts';

/** How the ledger's hashes come back from Redis, read into its types. */

/** Lua's cjson encodes an empty table as an object: read either as a list. */
export const list = <T>(value: unknown): T[] => (Array.isArray(value) ? (value as T[]) : []);

/** A flat HGETALL answer as an object. */
export function pairs(flat: readonly string[]): Record<string, string> {
  const record: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) record[flat[i] as string] = flat[i + 1] as string;
  return record;
}

const OUTCOMES: readonly string[] = ['shipped', 'blocked', 'closed'];
const STATES: readonly string[] = ['pending', 'taken', 'refused', 'person', 'not-taken'];

export const asOutcome = (text: string | undefined): Outcome | undefined =>
  text !== undefined && OUTCOMES.includes(text) ? (text as Outcome) : undefined;

export const asState = (text: string | undefined): EntryState | undefined =>
  text !== undefined && STATES.includes(text) ? (text as EntryState) : undefined;

const asNumber = (text: string | undefined): number | undefined =>
  text === undefined || text === '' ? undefined : Number(text);

/** An entry from its hash; undefined when the hash is not a readable entry. */
export function entryFrom(id: string, fields: Record<string, string>): DecreaseEntry | undefined {
  const { woodType } = fields;
  const state = asState(fields.state);
  if (!isWoodType(woodType) || state === undefined) return undefined;
  return {
    id,
    woodType,
    quantity: Number(fields.quantity),
    orders: (fields.orders ?? '').split(',').filter(Boolean).map(Number),
    levelBefore: parseLevel(fields.levelBefore),
    sentAt: Number(fields.sentAt),
    sentBy: fields.sentBy ?? '',
    state,
    outcome: asOutcome(fields.outcome),
    doubt: fields.doubt || undefined,
    settleAt: asNumber(fields.settleAt),
    levelFound: parseLevel(fields.levelFound),
    resolvedAt: asNumber(fields.resolvedAt),
    takenTwiceAt: asNumber(fields.takenTwiceAt),
    takenTwiceLevel: parseLevel(fields.takenTwiceLevel),
  };
}
