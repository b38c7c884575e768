import { defineConfig } from 'vitest/config';

// One run covers everything: pure rules (unit), then activities, workflows and
// end-to-end tests against a real Postgres, a real Temporal dev server, the real HTTP
// API and the carrier sandbox — once on Postgres and once more on embedded PGlite.
// Each integration project's global setup starts its own Temporal dev server (and, for
// the postgres project, a throwaway Postgres); unit tests need neither.

const integration = (name: 'postgres' | 'pglite', exclude: string[] = []) => ({
  extends: true as const,
  test: {
    name,
    include: ['tests/activities/**/*.test.ts', 'tests/workflows/**/*.test.ts', 'tests/e2e/**/*.test.ts'],
    exclude,
    globalSetup: ['tests/global-setup.ts'],
    setupFiles: ['tests/setup-runtime.ts'],
    env: { ORDERFLOW_TEST_DB: name },
  },
});

export default defineConfig({
  test: {
    // Temporal's native bridge and PGlite's WASM are happiest one per process.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 90_000,
    teardownTimeout: 30_000,
    projects: [
      { extends: true, test: { name: 'unit', include: ['tests/unit/**/*.test.ts'] } },
      integration('postgres'),
      // The durability test drives `npm start` itself, which always runs on PGlite; the
      // infrastructure test checks both backends from the postgres project.
      // The workflow stage tests use no database: once (in the postgres project) is enough.
      integration('pglite', ['tests/e2e/durability.test.ts', 'tests/e2e/infrastructure.test.ts', 'tests/workflows/order-stages.test.ts']),
    ],
  },
});
