/**
 * The naive exact client, as a user would write it against the reference services: list every
 * registered order, then one lane per wood type, each taking its orders one at a time: decrease the
 * stock, then PUT the status. Decreases of one wood type never overlap, so the stock stays exact.
 */
import { decrease, doneLine, listRegistered, putStatus, upstreamUrls } from './plain-client.ts';

const { ordersUrl, stocksUrl } = upstreamUrls();
const orders = await listRegistered(ordersUrl);
const lanes = Map.groupBy(orders, (order) => order.wood_type);
await Promise.all(
  [...lanes.values()].map(async (lane) => {
    for (const order of lane) await putStatus(ordersUrl, order.id, await decrease(stocksUrl, order));
  }),
);
process.stdout.write(`${doneLine('naive-lanes', orders.length)}\n`);
