// Test runner settings: tests live in test/, mirroring the source tree.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 60_000,
    fileParallelism: true,
    maxWorkers: 2,
    // `weft` processes the tests start (bin/weft.js) run these sources too, not an older dist/ build.
    env: { WEFT_SOURCE: '1' },
  },
});
