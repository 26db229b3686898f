import { afterEach } from 'vitest';

/**
 * Registers an afterEach that undoes what a test started, newest first, and returns the function a
 * test hands each undo to: servers, processes and queues go away even when an assertion fails.
 */
export function cleanupAfterEach(): (undo: () => Promise<unknown> | unknown) => void {
  const undos: (() => Promise<unknown> | unknown)[] = [];
  afterEach(async () => {
    for (const undo of undos.splice(0).reverse()) await undo();
  });
  return (undo) => {
    undos.push(undo);
  };
}
