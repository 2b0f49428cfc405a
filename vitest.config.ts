import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/globalSetup.ts'],
    // The slowest test takes ~25 s on a loaded 2-core machine (a SIGKILL mid-write with a server
    // restart's worth of waiting); 60 s is a safety net against a hang, not a budget to lean on.
    // Embedded databases start from a dumped template (test/support/databases.ts).
    testTimeout: 60_000,
    hookTimeout: 60_000,
    maxWorkers: 2,
  },
});
