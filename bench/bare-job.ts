import type { WoodType } from '../src/domain/order.ts';

/** The bare ceiling's own queue: plain BullMQ, next to ordermanagement's queues under the run's prefix. */
export const BARE_QUEUE = 'bare';
export const BARE_JOB = 'ship';

/** Everything the two HTTP calls need travels in the job, so the job makes no other call. */
export interface BareJobData {
  readonly orderId: number;
  readonly woodType: WoodType;
  readonly quantity: number;
}

/** The line a bare worker prints once its connection is ready, and the one it waits for to start. */
export const READY_LINE = '{"bench":"ready"}';
export const GO_LINE = 'go';
