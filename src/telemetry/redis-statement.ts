import type { DbStatementSerializer } from '@opentelemetry/instrumentation-ioredis';

/**
 * What a Redis span records as its statement. BullMQ runs its Lua scripts with EVALSHA and passes
 * job data (order ids, trace context, results) as arguments; the default serializer would copy
 * them into every span. Keep the command, the script sha and the keys; count the rest.
 */
export const redisStatement: DbStatementSerializer = (command, args) => {
  if (/^eval/i.test(command)) {
    const keyCount = Number(args[1] ?? 0);
    const keys = Number.isSafeInteger(keyCount) && keyCount >= 0 ? args.slice(2, 2 + keyCount).map(String) : [];
    const hidden = Math.max(args.length - 2 - keys.length, 0);
    return [command, String(args[0] ?? ''), ...keys, `[${hidden} args]`].join(' ');
  }
  const [key] = args;
  return typeof key === 'string' ? `${command} ${key} [${args.length - 1} args]` : `${command} [${args.length} args]`;
};
