/**
 * What a cycle did, in one line, for its entry in Bull Board's lists: "cycle · 300 orders · 280
 * shipped · 20 blocked". Pure. The job comes as BullMQ's toJSON gives it, and its data may be
 * hand-made (Bull Board can add jobs), so every field is checked before it is read.
 */

type Counts = Record<string, unknown>;

const isRecord = (value: unknown): value is Counts =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const count = (counts: Counts, field: string): number => {
  const value = counts[field];
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? value : 0;
};

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** Outcomes in the order people ask about them; `failed` ran out of attempts and waits for a replay. */
const OUTCOMES: readonly (readonly [string, string])[] = [
  ['shipped', 'shipped'],
  ['blocked', 'blocked'],
  ['closed', 'closed'],
  ['vanished', 'vanished'],
  ['skipped', 'skipped'],
  ['failed', 'failed'],
];

export interface CycleJobJson {
  readonly name: string;
  readonly data?: unknown;
  readonly returnvalue?: unknown;
  readonly finishedOn?: number | null;
}

export function describeCycle(job: CycleJobJson): string {
  const result = isRecord(job.returnvalue) ? job.returnvalue : undefined;
  const fanOut = result ?? (isRecord(job.data) && isRecord(job.data.fanOut) ? job.data.fanOut : undefined);
  if (fanOut === undefined)
    return `${job.name} · ${job.finishedOn ? 'failed before it listed orders' : 'listing orders'}`;
  const parts = [job.name, plural(count(fanOut, 'enqueued'), 'order')];
  if (result === undefined) parts.push(job.finishedOn ? 'failed' : 'processing');
  else {
    const outcomes = isRecord(result.outcomes) ? result.outcomes : {};
    for (const [field, label] of OUTCOMES)
      if (count(outcomes, field) > 0) parts.push(`${count(outcomes, field)} ${label}`);
  }
  if (count(fanOut, 'skipped') > 0) parts.push(`${count(fanOut, 'skipped')} already had a job`);
  else if (result !== undefined && count(fanOut, 'enqueued') === 0) parts.push('nothing to do');
  if (count(fanOut, 'invalid') > 0) parts.push(`${plural(count(fanOut, 'invalid'), 'invalid list element')}`);
  if (fanOut.throttled === true) parts.push('throttled (backpressure)');
  if (typeof fanOut.cut === 'string') parts.push(`stopped listing: ${fanOut.cut}`);
  return parts.join(' · ');
}
