import type { SettingSpec } from '../setting.ts';

/** The Order & Stock API simulator (`sim`) and the all-in-one `demo`. */
export const simSettings = {
  simHost: {
    doc: 'Simulator: address the Order and Stock APIs listen on.',
    format: 'host',
    default: '127.0.0.1',
    env: 'SIM_HOST',
  },
  simOrderPort: {
    doc: 'Simulator: port of the Order API (0 picks a free one).',
    format: 'port',
    default: 5000,
    env: 'SIM_ORDER_PORT',
  },
  simStockPort: {
    doc: 'Simulator: port of the Stock API (0 picks a free one).',
    format: 'port',
    default: 5001,
    env: 'SIM_STOCK_PORT',
  },
  simErrorRate: {
    doc: 'Simulator: probability (0..1) that a request fails on purpose, as the reference services do.',
    format: 'probability',
    default: 0.1,
    env: 'SIM_ERROR_RATE',
  },
  simLatencyMs: {
    doc: 'Simulator: delay added to every answer, in ms.',
    format: 'non-negative-int',
    default: 0,
    env: 'SIM_LATENCY_MS',
  },
  simCapacity: {
    doc: "Simulator: reference serves requests with the reference services' capacity (each API works on one request at a time, in 5 ms turns like Python's interpreter lock: PUT /orders/<id> about 180/s, POST /stocks/decrease about 117/s); none answers as fast as it can.",
    format: ['reference', 'none'],
    default: 'reference',
    env: 'SIM_CAPACITY',
  },
  simNonAtomic: {
    doc: 'Simulator: decrease stock without a lock, losing concurrent updates like the reference Stock API.',
    format: 'boolean-text',
    default: 'false',
    env: 'SIM_NON_ATOMIC',
  },
  simOrders: {
    doc: 'Simulator: registered orders created at start, of random wood types and quantities 1-10.',
    format: 'non-negative-int',
    default: 0,
    env: 'SIM_ORDERS',
  },
  simStock: {
    doc: 'Simulator: initial stock, as type=quantity pairs; a type left out has no stock row.',
    format: 'stock-spec',
    default: 'oak=100000,maple=100000,birch=100000,elm=100000,pine=100000',
    env: 'SIM_STOCK',
  },
  simDataFile: {
    doc: 'Simulator: file that keeps its orders and stock across restarts (read at start when it exists, instead of SIM_ORDERS and SIM_STOCK; written every second and on stop); empty keeps them in memory only.',
    format: String,
    default: '',
    env: 'SIM_DATA_FILE',
  },
} as const satisfies Record<string, SettingSpec>;

export const demoSettings = {
  demoOrders: {
    doc: 'Demo: registered orders to seed (one wood type gets no stock, one too little).',
    format: 'non-negative-int',
    default: 1000,
    env: 'DEMO_ORDERS',
  },
} as const satisfies Record<string, SettingSpec>;
