/**
 * Whether the SDK exports logs over OTLP, set once at start. Kept apart from the SDK module so the
 * logger can ask without importing the SDK into every process that logs.
 */
let exporting = false;

export function setLogExport(on: boolean): void {
  exporting = on;
}

export function logsExported(): boolean {
  return exporting;
}
