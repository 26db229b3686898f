import { Writable } from 'node:stream';
import winston from 'winston';
import { createLogger, type Logger, type LogLevel } from '../../src/logger.ts';

/** A logger whose JSON lines land in `lines`, for tests that check what was logged. */
export function capturingLogger(level: LogLevel): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const transport = new winston.transports.Stream({
    stream: new Writable({
      write(chunk, _encoding, done) {
        lines.push(JSON.parse(String(chunk)));
        done();
      },
    }),
  });
  return { logger: createLogger(level, { role: 'test' }, [transport]), lines };
}
