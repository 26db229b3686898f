import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The JSON report lets .ci/run print a plain "N passed, N failed" line.
    reporters: ['default', ['json', { outputFile: 'test-artifacts/vitest.json' }]],
    globalSetup: ['test/helpers/node-version.ts', 'test/helpers/tracked-tree.ts', 'test/helpers/global-redis.ts'],
    // Two cores: integration files run one at a time so their timings and worker counts stay honest.
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
