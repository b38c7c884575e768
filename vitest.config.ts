import { defineConfig } from 'vitest/config';

// One run covers everything: pure rules (unit), then activities, workflows and
// end-to-end tests against a real Postgres, a real Temporal dev server, the real HTTP
// API and the carrier sandbox — once on Postgres and once more on embedded PGlite.
// Global setup starts Postgres and Temporal once for the whole run.

const integration = ['tests/activities/**/*.test.ts', 'tests/workflows/**/*.test.ts', 'tests/e2e/**/*.test.ts'];

export default defineConfig({
  test: {
    globalSetup: ['tests/global-setup.ts'],
    setupFiles: ['tests/setup-runtime.ts'],
    // Temporal's native bridge and PGlite's WASM are happiest one per process.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 90_000,
    teardownTimeout: 30_000,
    projects: [
      { extends: true, test: { name: 'unit', include: ['tests/unit/**/*.test.ts'] } },
      { extends: true, test: { name: 'postgres', include: integration, env: { ORDERFLOW_TEST_DB: 'postgres' } } },
      {
        extends: true,
        test: {
          name: 'pglite',
          include: integration,
          // The durability test drives `npm start` itself, which always runs on PGlite.
          exclude: ['tests/e2e/durability.test.ts'],
          env: { ORDERFLOW_TEST_DB: 'pglite' },
        },
      },
    ],
  },
});
