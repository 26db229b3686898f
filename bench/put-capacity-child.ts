/**
 * The Order API's PUT capacity: list every registered order, then PUT each one's status once, 16 at
 * a time, and nothing else. Any exact client PUTs each order once, so none can be faster than this.
 */
import { doneLine, listRegistered, putStatus, upstreamUrls } from './plain-client.ts';

const IN_FLIGHT = 16;

const { ordersUrl } = upstreamUrls();
const orders = await listRegistered(ordersUrl);
let next = 0;
await Promise.all(
  Array.from({ length: IN_FLIGHT }, async () => {
    for (let order = orders[next++]; order !== undefined; order = orders[next++])
      await putStatus(ordersUrl, order.id, 'shipped');
  }),
);
process.stdout.write(`${doneLine('put-capacity', orders.length)}\n`);
