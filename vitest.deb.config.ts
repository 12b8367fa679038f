import { defineConfig } from 'vitest/config';

// npm run test:deb: installs the built packages on this machine (root; .ci/run), so never part of npm test.
export default defineConfig({
  test: {
    include: ['test/deb/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
