import { InvalidPayloadError } from '../errors.ts';
/** The Order and Stock API vocabulary (see the upstream contract), validated once at the edge. */

export const WOOD_TYPES = ['oak', 'maple', 'birch', 'elm', 'pine'] as const;
export type WoodType = (typeof WOOD_TYPES)[number];

export const ORDER_STATUSES = ['registered', 'ready', 'shipped', 'blocked', 'closed', 'unknown'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export interface Order {
  readonly id: number;
  readonly woodType: WoodType;
  readonly quantity: number;
  readonly status: OrderStatus;
}

export interface StockLevel {
  readonly woodType: WoodType;
  readonly quantity: number;
}

/** Upper bound on a sane order or stock quantity; anything above is treated as corrupt data. */
export const MAX_QUANTITY = Number.MAX_SAFE_INTEGER;

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export const isWoodType = (value: unknown): value is WoodType => WOOD_TYPES.includes(value as WoodType);
export const isOrderStatus = (value: unknown): value is OrderStatus => ORDER_STATUSES.includes(value as OrderStatus);

export const isOrderId = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value > 0;

export const isQuantity = (value: unknown, min: number): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= MAX_QUANTITY;

function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** An order as the Order API sends it (`wood_type`, `order_status`); unknown fields are ignored. */
export function parseOrder(value: unknown): Order {
  if (!isRecord(value)) throw new InvalidPayloadError(`order must be an object, got ${describe(value)}`);
  const { id, wood_type: woodType, quantity, order_status: status } = value;
  if (!isOrderId(id)) throw new InvalidPayloadError(`order id must be a positive integer, got ${describe(id)}`);
  if (!isWoodType(woodType)) {
    throw new InvalidPayloadError(
      `order ${id}: wood_type must be one of ${WOOD_TYPES.join(', ')}, got ${describe(woodType)}`,
    );
  }
  if (!isQuantity(quantity, 1)) {
    throw new InvalidPayloadError(`order ${id}: quantity must be a positive integer, got ${describe(quantity)}`);
  }
  if (!isOrderStatus(status)) {
    throw new InvalidPayloadError(
      `order ${id}: order_status must be one of ${ORDER_STATUSES.join(', ')}, got ${describe(status)}`,
    );
  }
  return { id, woodType, quantity, status };
}

/** A stock row as the Stock API sends it. */
export function parseStockLevel(value: unknown): StockLevel {
  if (!isRecord(value)) throw new InvalidPayloadError(`stock row must be an object, got ${describe(value)}`);
  const { wood_type: woodType, quantity } = value;
  if (!isWoodType(woodType)) throw new InvalidPayloadError(`stock wood_type is unknown: ${describe(woodType)}`);
  if (!isQuantity(quantity, 0)) {
    throw new InvalidPayloadError(`stock quantity must be a non-negative integer, got ${describe(quantity)}`);
  }
  return { woodType, quantity };
}

/** A page of the order list: an array, each element validated on its own so one bad order spoils nothing else. */
export function parseOrderPage(value: unknown): { orders: Order[]; invalid: { raw: unknown; reason: string }[] } {
  if (!Array.isArray(value)) throw new InvalidPayloadError(`order list must be an array, got ${describe(value)}`);
  const orders: Order[] = [];
  const invalid: { raw: unknown; reason: string }[] = [];
  for (const raw of value) {
    try {
      orders.push(parseOrder(raw));
    } catch (error) {
      invalid.push({ raw, reason: (error as Error).message });
    }
  }
  return { orders, invalid };
}

/** The `error` text of a contract error body (`{"error": "..."}`), if that is what the body is. */
export function errorText(body: unknown): string | undefined {
  return isRecord(body) && typeof body.error === 'string' ? body.error : undefined;
}

/** What became of an order; each maps to the status written back (see the contract's outcome table). */
export type Outcome = 'shipped' | 'blocked' | 'closed';

/** Parses a user-supplied order id ("42"); anything but a positive integer is refused with a reason. */
export function parseOrderId(text: string): number {
  const trimmed = text.trim();
  const id = /^\d+$/.test(trimmed) ? Number(trimmed) : Number.NaN;
  if (!isOrderId(id)) throw new InvalidPayloadError(`order id must be a positive integer, got ${describe(text)}`);
  return id;
}
