import { describe, expect, it } from 'vitest';
import { capturingLogger } from './helpers/logs.ts';

describe('createLogger', () => {
  it('writes JSON lines with the default and child fields, passwords in URLs redacted', () => {
    const { logger, lines } = capturingLogger('info');
    logger.child({ jobId: 'order-1' }).warn('redis down', {
      url: 'redis://app:hunter2@cache:6379',
      err: new Error('connect to redis://:hunter2@cache failed'),
    });
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'warn',
        message: 'redis down',
        role: 'test',
        jobId: 'order-1',
        url: 'redis://app:***@cache:6379',
        err: { name: 'Error', message: 'connect to redis://:***@cache failed' },
      }),
    ]);
    expect(JSON.stringify(lines)).not.toContain('hunter2');
  });

  it.each([
    ['error', ['error']],
    ['warn', ['error', 'warn']],
    ['info', ['error', 'warn', 'info']],
    ['debug', ['error', 'warn', 'info', 'debug']],
  ] as const)('at %s writes only %j, from the logger and its children', (level, written) => {
    const { logger, lines } = capturingLogger(level);
    for (const log of [logger, logger.child({ jobId: 'order-2' })]) {
      log.error('e');
      log.warn('w');
      log.info('i');
      log.debug('d');
    }
    expect(lines.map((line) => line.level)).toEqual([...written, ...written]);
  });

  it('does not even format a line below the level', () => {
    const { logger, lines } = capturingLogger('warn');
    let reads = 0;
    const meta = {
      get orderId() {
        reads += 1;
        return 7;
      },
    };
    logger.child({ queue: 'orders' }).info('skipped', meta);
    logger.debug('skipped', meta);
    expect(reads).toBe(0);
    logger.warn('written', meta);
    expect(reads).toBeGreaterThan(0);
    expect(lines).toEqual([expect.objectContaining({ message: 'written', orderId: 7 })]);
  });
});
