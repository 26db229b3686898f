import { isWoodType, type WoodType } from '../domain/order.ts';

/**
 * The value formats of the settings. Each turns a variable's text into its typed value (`coerce`),
 * leaving text it cannot read as it is for `problem` to name; `FormatTypes` gives each format's
 * type, from which the type of the whole configuration is derived.
 */
export interface FormatTypes {
  'redis-url': string;
  'http-url': string;
  probability: number;
  'positive-number': number;
  'positive-int': number;
  'non-negative-int': number;
  'page-size': number;
  'optional-int': number | undefined;
  port: number;
  host: string;
  'boolean-text': boolean;
  'stock-spec': Readonly<Partial<Record<WoodType, number>>>;
  'node-list': string;
  'base-path': string;
  'queue-prefix': string;
}

export type FormatName = keyof FormatTypes;

interface Format<T> {
  /** What is wrong with a value (typed, or text coerce could not read), or undefined. */
  problem(value: unknown): string | undefined;
  coerce(text: string): T | string;
  /**
   * For values convict cannot hold (it reads an object as nested settings): kept as text through
   * validation, turned into the value after it.
   */
  finish?(text: string): T;
}

/** Plain decimal notation only: `Number()` would also take `0x10`, `1e3` and `Infinity`. */
const DECIMAL = /^-?\d+(\.\d+)?$/;
const INTEGER = /^-?\d+$/;

const toNumber = (text: string): number | string => (DECIMAL.test(text.trim()) ? Number(text) : text);

function numberProblem(value: unknown, integer: boolean, min: number, max: number): string | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value)) return 'must be a number';
  if (integer && !Number.isInteger(value)) return 'must be a whole number';
  if (value < min || value > max) return `must be between ${min} and ${max}`;
  return undefined;
}

function urlProblem(value: unknown, protocols: readonly string[]): string | undefined {
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    return 'is not a URL';
  }
  if (!protocols.includes(url.protocol)) return `must start with ${protocols.map((p) => `${p}//`).join(' or ')}`;
  return url.hostname === '' ? 'has no host' : undefined;
}

/** `oak=100,pine=5`: each wood type at most once, quantities whole and non-negative. */
export function parseStockSpec(text: string): Partial<Record<WoodType, number>> {
  const stock: Partial<Record<WoodType, number>> = {};
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '')) {
    const [type, quantity, extra] = part.split('=').map((p) => p.trim());
    if (!isWoodType(type)) throw new Error(`"${type}" is not a wood type (oak, maple, birch, elm, pine)`);
    if (extra !== undefined || quantity === undefined || !/^\d+$/.test(quantity)) {
      throw new Error(`"${part}" must be type=quantity with a whole quantity`);
    }
    if (type in stock) throw new Error(`${type} is given twice`);
    stock[type] = Number(quantity);
  }
  return stock;
}

const number = (integer: boolean, min: number, max: number): Format<number> => ({
  problem: (v) => numberProblem(v, integer, min, max),
  coerce: toNumber,
});

export const FORMATS: { readonly [F in FormatName]: Format<FormatTypes[F]> } = {
  'redis-url': { problem: (v) => urlProblem(v, ['redis:', 'rediss:']), coerce: String },
  'http-url': {
    problem: (v) => urlProblem(v, ['http:', 'https:']),
    coerce: (text) => text.replace(/\/+$/, ''),
  },
  probability: number(false, 0, 1),
  'positive-number': number(false, 0.001, 86_400),
  'positive-int': number(true, 1, 1_000_000),
  'non-negative-int': number(true, 0, 1_000_000_000),
  'page-size': number(true, 1, 10_000),
  'optional-int': {
    problem: (v) => (v === undefined ? undefined : numberProblem(v, true, 0, 2 ** 32 - 1)),
    coerce: (text) => (text.trim() === '' ? undefined : INTEGER.test(text.trim()) ? Number(text) : text),
  },
  port: number(true, 0, 65_535),
  host: {
    problem: (v) => (/^[A-Za-z0-9.:_-]+$/.test(String(v)) ? undefined : 'must be a host name or IP address'),
    coerce: String,
  },
  'boolean-text': {
    problem: (v) => (typeof v === 'boolean' ? undefined : 'must be true or false'),
    coerce: (text) => (text === 'true' || text === '1' ? true : text === 'false' || text === '0' ? false : text),
  },
  'stock-spec': {
    problem: (v) => {
      try {
        parseStockSpec(String(v));
        return undefined;
      } catch (error) {
        return (error as Error).message;
      }
    },
    coerce: String,
    finish: (text) => Object.freeze(parseStockSpec(text)),
  },
  'node-list': {
    problem: (v) =>
      String(v)
        .split(',')
        .map((node) => node.trim())
        .filter((node) => node !== '')
        .every((node) => /^[A-Za-z0-9.\-_[\]:]+:\d{1,5}$/.test(node))
        ? undefined
        : 'must be host:port pairs separated by commas',
    coerce: (text) => text.trim(),
  },
  'base-path': {
    problem: (v) => (/^\/([A-Za-z0-9._~-]+\/?)*$/.test(String(v)) ? undefined : 'must be a path such as / or /board'),
    coerce: (text) => (/^\/([A-Za-z0-9._~-]+\/?)*$/.test(text) ? text.replace(/\/+$/, '') || '/' : text),
  },
  'queue-prefix': {
    problem: (v) =>
      /^[A-Za-z0-9_{}-]{1,64}$/.test(String(v)) ? undefined : 'must be 1-64 letters, digits, _, -, { or }',
    coerce: String,
  },
};
