import { createHash } from 'node:crypto';
import type { DbStatementSerializer } from '@opentelemetry/instrumentation-ioredis';

/**
 * What a Redis span records as its statement. BullMQ and the ledger run Lua scripts and pass job
 * data (order ids, trace context, results) as arguments; the default serializer would copy them,
 * and an EVAL's whole script, into every span. Keep the command, the script's SHA (an EVAL, sent
 * when the server lacks the script, names it as EVALSHA does) and the keys; count the rest.
 */
export const redisStatement: DbStatementSerializer = (command, args) => {
  if (/^eval/i.test(command)) {
    const script = String(args[0] ?? '');
    const sha = /^evalsha/i.test(command) ? script : createHash('sha1').update(script).digest('hex');
    const keyCount = Number(args[1] ?? 0);
    const keys = Number.isSafeInteger(keyCount) && keyCount >= 0 ? args.slice(2, 2 + keyCount).map(String) : [];
    const hidden = Math.max(args.length - 2 - keys.length, 0);
    return [command, sha, ...keys, `[${hidden} args]`].join(' ');
  }
  const [key] = args;
  return typeof key === 'string' ? `${command} ${key} [${args.length - 1} args]` : `${command} [${args.length} args]`;
};
