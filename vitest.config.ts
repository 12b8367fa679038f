import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/e2e/**/*.test.ts'],
    // Each test file's temporary files in a directory of its own, removed after it.
    setupFiles: ['test/helpers/own-tmpdir.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // End-to-end tests start real daemons and processes; two cores are all there is.
    maxWorkers: 2,
  },
});
