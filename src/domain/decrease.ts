/**
 * What a stock decrease did, decided from what can be known: the Stock API's answer, or, when the
 * answer is in doubt, the wood type's level before and after (see the contract: "A decrease can
 * take effect and still fail"). Pure: no I/O.
 */
import { errorText, type Outcome, type WoodType } from './order.ts';

/** A wood type's stock level, or `none` when it has no stock row (decreases answer 404). */
export type Level = number | 'none';

/** The answer to POST /stocks/decrease, as far as the stock is concerned. */
export type DecreaseAnswer =
  /** 2xx: the stock is taken. `level` is the new level when the body says it. */
  | { readonly kind: 'taken'; readonly level: number | undefined }
  /** 400 Insufficient stock or 404 Stock not found: nothing taken, and the order's outcome is known. */
  | { readonly kind: 'refused'; readonly outcome: Exclude<Outcome, 'shipped'> }
  /**
   * The request may have taken effect: no answer after it was sent, or a 5xx other than the
   * contract's simulated failure. `serviceAnswered`: the Stock API itself answered, so its handler has
   * finished; otherwise (a gateway's 502/503/504, a lost connection) it may still be working.
   */
  | { readonly kind: 'uncertain'; readonly reason: string; readonly serviceAnswered: boolean };

/** The order outcome a definitive answer decides (the contract's outcome table); none while in doubt. */
export function outcomeOf(answer: DecreaseAnswer): Outcome | undefined {
  if (answer.kind === 'taken') return 'shipped';
  return answer.kind === 'refused' ? answer.outcome : undefined;
}

/** The one failure the contract says comes before any change. */
export const SIMULATED_DECREASE_FAILURE = 'Simulated DB error during stock decrease';

/** Answers of a gateway in front of the Stock API: the service behind it may still be working. */
const GATEWAY_STATUSES = new Set([502, 503, 504]);

/**
 * Reads an answer of POST /stocks/decrease. Returns `not-taken` with whether a retry may help for the
 * answers that prove nothing was taken (the caller turns those into failures).
 */
export function classifyDecreaseAnswer(
  statusCode: number,
  body: unknown,
): DecreaseAnswer | { readonly kind: 'not-taken'; readonly retryable: boolean } {
  const text = errorText(body);
  if (statusCode >= 200 && statusCode <= 299) return { kind: 'taken', level: levelIn(body) };
  if (statusCode === 400 && text === 'Insufficient stock') return { kind: 'refused', outcome: 'blocked' };
  if (statusCode === 404 && text === 'Stock not found') return { kind: 'refused', outcome: 'closed' };
  if (statusCode === 500 && text === SIMULATED_DECREASE_FAILURE) return { kind: 'not-taken', retryable: true };
  // 408 and 429 refuse the request before it is handled.
  if (statusCode === 408 || statusCode === 429) return { kind: 'not-taken', retryable: true };
  if (statusCode >= 500) {
    return {
      kind: 'uncertain',
      reason: `answered ${statusCode}${text ? ` ${JSON.stringify(text)}` : ''}`,
      serviceAnswered: !GATEWAY_STATUSES.has(statusCode),
    };
  }
  // Other 4xx (Invalid input, a proxy's 404): refused before any change; asking again cannot help.
  return { kind: 'not-taken', retryable: false };
}

function levelIn(body: unknown): number | undefined {
  if (typeof body !== 'object' || body === null || !('quantity' in body)) return undefined;
  const { quantity } = body;
  return typeof quantity === 'number' && Number.isSafeInteger(quantity) && quantity >= 0 ? quantity : undefined;
}

/** What the level says of a decrease of `quantity` whose answer was lost. */
export type Resolution = 'taken' | 'not-taken' | 'ambiguous';

/**
 * While a wood type's decreases are serialized, only the decrease in doubt can have moved its level
 * since `before` was known: the level now tells whether it was taken. Any other level means someone
 * else added or took stock meanwhile, and which part of the change was this decrease is unknowable.
 */
export function resolveByLevel(before: Level, quantity: number, now: Level): Resolution {
  if (before === 'none') return now === 'none' ? 'not-taken' : 'ambiguous';
  if (now === 'none') return 'ambiguous';
  if (now === before - quantity) return 'taken';
  if (now === before) return 'not-taken';
  return 'ambiguous';
}

/** Levels travel through Redis as text: an integer, or `none`. */
export function parseLevel(text: string | undefined): Level | undefined {
  if (text === undefined || text === '') return undefined;
  if (text === 'none') return 'none';
  const n = Number(text);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/**
 * `pending`: sent, no answer yet (or a lost one); `person`: only a person can tell whether it was
 * taken; `not-taken`: the level showed it was not (its orders were free to go again), kept a while
 * so that a landing after all is seen.
 */
export type EntryState = 'pending' | 'taken' | 'refused' | 'person' | 'not-taken';

/** What an order's record in the ledger means for it now: its outcome, or why it has none yet. */
export type Decided = Outcome | 'in-doubt' | 'person';

/** The one mapping from a record to what it decided, for every path that reads the ledger. */
export function decidedBy(state: EntryState, outcome: Outcome | undefined): Decided | undefined {
  if (state === 'taken') return 'shipped';
  if (state === 'refused') return outcome;
  if (state === 'person') return 'person';
  return state === 'pending' ? 'in-doubt' : undefined;
}

export interface DecreaseEntry {
  readonly id: string;
  readonly woodType: WoodType;
  /** The sum of its orders' quantities: what the request asked for. */
  readonly quantity: number;
  /** Ascending order ids. */
  readonly orders: readonly number[];
  /** The level known when it was sent; undefined when no level was known (keys honoured, or no lock). */
  readonly levelBefore: Level | undefined;
  readonly sentAt: number;
  /** The worker that sent it (host:pid), as BullMQ names it in a job's processedBy. */
  readonly sentBy: string;
  readonly state: EntryState;
  readonly outcome: Outcome | undefined;
  /** In doubt: why, and from when the Stock API is sure to be done with it. */
  readonly doubt: string | undefined;
  readonly settleAt: number | undefined;
  /** Resolved by the level: what it was then, and when. */
  readonly levelFound: Level | undefined;
  readonly resolvedAt: number | undefined;
  /** Judged not taken, then seen to have landed after all: when, and the level that showed it. */
  readonly takenTwiceAt?: number | undefined;
  readonly takenTwiceLevel?: Level | undefined;
}

const at = (ms: number | undefined): string => (ms === undefined ? 'an unknown time' : new Date(ms).toISOString());

/**
 * What a person needs to settle an entry that the level could not: what was asked, when, and what
 * the level did. Shown in the job's failure, by `replay` and in the Board.
 */
export function describeDoubt(entry: DecreaseEntry): string {
  const { woodType, quantity, levelBefore: before, orders } = entry;
  const many = orders.length > 1;
  const expected =
    typeof before === 'number'
      ? `the ${woodType} level was ${before} before it, so taken would leave ${before - quantity} and not taken ${before}`
      : before === 'none'
        ? `${woodType} had no stock row before it`
        : `no ${woodType} level was known before it`;
  const found =
    entry.levelFound === undefined
      ? ''
      : `; it was ${entry.levelFound} at ${at(entry.resolvedAt)}, so the stock changed for another reason too`;
  return (
    `stock decrease ${entry.id} of ${quantity} ${woodType} for order${many ? 's' : ''} ${orders.join(', ')}, sent ` +
    `${at(entry.sentAt)}${entry.sentBy ? ` by ${entry.sentBy}` : ''}, may or may not have happened (${entry.doubt ?? 'its worker stopped before the answer'}): ` +
    `${expected}${found}. Check the stock, then run \`ordermanagement replay --decreased ${orders[0]}\` if it was ` +
    `taken or \`ordermanagement replay --not-decreased ${orders[0]}\` if not` +
    (many ? ' (the answer settles every order of this decrease)' : '')
  );
}

/**
 * Which orders of a batch fit a level, taken one by one in ascending id order as if each had been
 * sent alone: an order that fits is taken from what is left, one that does not is blocked and leaves
 * the level as it was for the next.
 */
export function fitInOrder<T extends { readonly id: number; readonly quantity: number }>(
  orders: readonly T[],
  level: number,
): { fit: T[]; blocked: T[] } {
  const fit: T[] = [];
  const blocked: T[] = [];
  let left = level;
  for (const order of [...orders].sort((a, b) => a.id - b.id)) {
    if (order.quantity <= left) {
      fit.push(order);
      left -= order.quantity;
    } else blocked.push(order);
  }
  return { fit, blocked };
}
