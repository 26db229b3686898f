/**
 * Rough seconds each step takes on the 2-core reference machine: only the progress bar's weights
 * and its time left come from here, never a reported figure.
 */
export const estimate = {
  startup: 3,
  drain: (orders: number, latencyMs: number) => orders / (latencyMs === 0 ? 1000 : 700),
  serial: (orders: number, latencyMs: number) => orders / (latencyMs === 0 ? 1500 : 1000 / (2 * latencyMs + 2)),
  fanOut: (orders: number) => orders / 10_000,
  /** Against the capacity model, by client: its start-up, then about the rate it reached on the reference services. */
  capacity: (orders: number, client: 'om' | 'naive' | 'bare' | 'putCapacity') =>
    ({ om: 2, naive: 0.5, bare: 3, putCapacity: 0.5 })[client] +
    orders / { om: 150, naive: 110, bare: 80, putCapacity: 180 }[client],
};
