import { describe, expect, it } from 'vitest';
import { run } from './run.ts';

describe('run (the helper that runs a program to completion)', () => {
  // git check-ignore never reads its input: the pipe closed under the write once ended a CI run as an
  // uncaught EPIPE, though every test had passed.
  it('reports the exit code of a program that exits without reading its input', async () => {
    for (let i = 0; i < 20; i++) {
      const result = await run(process.execPath, ['-e', 'process.exit(3)'], { input: 'x'.repeat(1 << 20) });
      expect(result.code).toBe(3);
    }
  });
});
