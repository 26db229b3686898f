import { describe, expect, it } from 'vitest';
import { configEnv, describeConfig } from '../src/config/describe.ts';
import { loadConfig } from '../src/config/load.ts';
import { configProblems } from './helpers/config-problems.ts';

describe('loadConfig', () => {
  it('has working defaults, typed', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      redisUrl: 'redis://127.0.0.1:6379',
      ordersUrl: 'http://order:5000',
      stocksUrl: 'http://stock:5001',
      intervalSeconds: 5,
      // Production defaults: a plain worker fails nothing on purpose (the demo sets 0.1 itself).
      errorRate: 0,
      cycleErrorRate: 0,
      attempts: 5,
      pageSize: 1000,
      queuePrefix: '{ordermanagement}',
      randomSeed: undefined,
      simNonAtomic: false,
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads the variables and trims trailing slashes off base URLs', () => {
    const config = loadConfig({
      API_URL_ORDERS: 'http://orders.internal:8080/api/',
      INTERVAL_SECONDS: '0.5',
      RANDOM_SEED: '12',
      SIM_STOCK: 'oak=5, pine=0',
      SIM_NON_ATOMIC: 'true',
    });
    expect(config.ordersUrl).toBe('http://orders.internal:8080/api');
    expect(config.intervalSeconds).toBe(0.5);
    expect(config.randomSeed).toBe(12);
    expect(config.simStock).toEqual({ oak: 5, pine: 0 });
    expect(config.simNonAtomic).toBe(true);
  });

  it.each([
    [{ INTERVAL_SECONDS: 'abc' }, 'INTERVAL_SECONDS: must be a number (got "abc")'],
    [{ INTERVAL_SECONDS: '0' }, 'INTERVAL_SECONDS: must be between 0.001 and 86400 (got "0")'],
    [{ ERROR_RATE: '-0.1' }, 'ERROR_RATE: must be between 0 and 1 (got "-0.1")'],
    [{ WORKER_CONCURRENCY: '2.5' }, 'WORKER_CONCURRENCY: must be a whole number (got "2.5")'],
    [{ RETRY_ATTEMPTS: '0' }, 'RETRY_ATTEMPTS: must be between 1 and 1000000 (got "0")'],
    [{ PAGE_SIZE: '' }, 'PAGE_SIZE: must be a number (got "")'],
    [{ API_URL_ORDERS: 'orders:5000' }, 'API_URL_ORDERS: must start with http:// or https:// (got "orders:5000")'],
    [{ API_URL_STOCKS: 'not a url' }, 'API_URL_STOCKS: is not a URL (got "not a url")'],
    [
      { LOG_LEVEL: 'verbose' },
      'LOG_LEVEL: must be one of the possible values: ["error","warn","info","debug"] (got "verbose")',
    ],
    [{ QUEUE_PREFIX: 'a:b' }, 'QUEUE_PREFIX: must be 1-64 letters, digits, _, -, { or } (got "a:b")'],
    [{ SIM_STOCK: 'teak=3' }, 'SIM_STOCK: "teak" is not a wood type (oak, maple, birch, elm, pine) (got "teak=3")'],
    [{ SIM_STOCK: 'oak=1,oak=2' }, 'SIM_STOCK: oak is given twice (got "oak=1,oak=2")'],
    [{ SIM_ORDER_PORT: '70000' }, 'SIM_ORDER_PORT: must be between 0 and 65535 (got "70000")'],
    [{ SIM_NON_ATOMIC: 'yes' }, 'SIM_NON_ATOMIC: must be true or false (got "yes")'],
  ])('refuses %j', (env, message) => {
    expect(configProblems(env)).toEqual([message]);
  });

  it.each([
    [{ JOB_LOCK_MS: '1' }, 'JOB_LOCK_MS: must be at least HTTP_TIMEOUT_MS + 1000 = 6000 (got 1)'],
    [
      { HTTP_TIMEOUT_MS: '29500', STOCK_LOCK_LEASE_MS: '31000' },
      'JOB_LOCK_MS: must be at least HTTP_TIMEOUT_MS + 1000 = 30500 (got 30000)',
    ],
    [
      { HTTP_TIMEOUT_MS: '20000', JOB_LOCK_MS: '60000' },
      'STOCK_LOCK_LEASE_MS: must be at least HTTP_TIMEOUT_MS + 1000 = 21000 (got 15000)',
    ],
    [
      { KEEP_FAILED_SECONDS: '7776000' },
      'LEDGER_KEEP_SECONDS: must be at least an hour, KEEP_FAILED_SECONDS and KEEP_COMPLETED_SECONDS = 7776000 (got 2592000)',
    ],
    [
      { LEDGER_KEEP_SECONDS: '60', KEEP_FAILED_SECONDS: '0', KEEP_COMPLETED_SECONDS: '0' },
      'LEDGER_KEEP_SECONDS: must be at least an hour, KEEP_FAILED_SECONDS and KEEP_COMPLETED_SECONDS = 3600 (got 60)',
    ],
  ])('refuses timings that do not go together: %j', (env, message) => {
    expect(configProblems(env)).toEqual([message]);
  });

  it('leaves alone the variables Kubernetes gives every pod for each Service, and still names a typo', () => {
    const links = {
      REDIS_PORT: 'tcp://10.0.0.5:6379',
      REDIS_PORT_6379_TCP: 'tcp://10.0.0.5:6379',
      REDIS_PORT_6379_TCP_PROTO: 'tcp',
      REDIS_PORT_6379_TCP_PORT: '6379',
      REDIS_PORT_6379_TCP_ADDR: '10.0.0.5',
      REDIS_SERVICE_HOST: '10.0.0.5',
      REDIS_SERVICE_PORT: '6379',
      REDIS_SERVICE_PORT_REDIS: '6379',
      STOCK_PORT: 'tcp://10.0.0.6:5001',
      BOARD_SERVICE_HOST: 'fd00::12',
      // Services named board, metrics and health spell settings of ours.
      BOARD_PORT: 'tcp://10.0.0.7:3000',
      METRICS_PORT: 'tcp://10.0.0.8:9464',
      HEALTH_PORT: 'tcp://10.0.0.9:8081',
    };
    const config = loadConfig(links);
    expect(config.redisUrl).toBe('redis://127.0.0.1:6379');
    expect([config.boardPort, config.metricsPort, config.healthPort]).toEqual([3000, 0, 0]);
    // Not of a service link's shape: someone meant to set a port.
    expect(configProblems({ REDIS_PORT: '6380' })).toEqual([
      'REDIS_PORT: is not a setting of ordermanagement; did you mean REDIS_URL?',
    ]);
    expect(configProblems({ REDIS_URI: 'redis://x' })).toEqual([
      'REDIS_URI: is not a setting of ordermanagement; did you mean REDIS_URL?',
    ]);
  });

  it('leaves alone the variables of other software that share a first word with a setting', () => {
    const foreign = {
      HTTP_PROXY: 'http://proxy.internal:3128',
      JOB_COMPLETION_INDEX: '0',
      LOG_FORMAT: 'json',
      API_KEY: 'k',
      MAX_OLD_SPACE: '1',
    };
    expect(loadConfig(foreign).httpTimeoutMs).toBe(5000);
    expect(configProblems({ HTTP_TIMEOUT: '100', WORKER_CONCURENCY: '5' })).toEqual([
      'HTTP_TIMEOUT: is not a setting of ordermanagement; did you mean HTTP_TIMEOUT_MS?',
      'WORKER_CONCURENCY: is not a setting of ordermanagement; did you mean WORKER_CONCURRENCY?',
    ]);
  });

  it('never shows the password of any URL, and reads the base URLs with their credentials', () => {
    const config = loadConfig({
      API_URL_ORDERS: 'http://svc:orders-secret@orders:5000',
      API_URL_STOCKS: 'https://svc:stocks-secret@stocks/api/',
      REDIS_URL: 'redis://:redis-secret@cache:6379',
    });
    expect(config.stocksUrl).toBe('https://svc:stocks-secret@stocks/api');
    const shown = JSON.stringify(describeConfig(config));
    for (const secret of ['orders-secret', 'stocks-secret', 'redis-secret']) expect(shown).not.toContain(secret);
    expect(describeConfig(config).find((e) => e.variable === 'API_URL_ORDERS')?.value).toBe(
      'http://svc:***@orders:5000',
    );
    const problems = configProblems({ API_URL_ORDERS: 'ftp://u:pw-secret@orders' });
    expect(problems.join()).not.toContain('pw-secret');
  });

  it('reports every bad variable at once and redacts a password in REDIS_URL', () => {
    const found = configProblems({ REDIS_URL: 'http://user:s3cret@redis', RANDOM_SEED: 'x', INTERVAL_SECONDS: '-1' });
    expect(found).toHaveLength(3);
    expect(found.join('\n')).not.toContain('s3cret');
    expect(found).toContain('REDIS_URL: must start with redis:// or rediss:// (got "http://user:***@redis")');
  });

  it('writes an environment that reads back to the same configuration, secrets included', () => {
    const config = loadConfig({
      REDIS_URL: 'redis://:pw@cache:6380/1',
      SIM_STOCK: 'oak=5,pine=0',
      RANDOM_SEED: '9',
      BOARD_PASSWORD: 'x',
      SIM_NON_ATOMIC: 'true',
    });
    expect(loadConfig(configEnv(config))).toEqual(config);
    expect(loadConfig(configEnv(loadConfig({})))).toEqual(loadConfig({}));
  });

  it('describes every variable, with the current value redacted', () => {
    const entries = describeConfig(loadConfig({ REDIS_URL: 'redis://:pw@cache:6380/1' }));
    expect(entries.find((e) => e.variable === 'REDIS_URL')?.value).toBe('redis://:***@cache:6380/1');
    expect(new Set(entries.map((e) => e.variable)).size).toBe(entries.length);
  });
});
