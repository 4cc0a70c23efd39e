import { configDefaults, defineConfig } from 'vitest/config'

const STUDIO_TESTS = 'tests/e2e/studio*.test.ts'

// Tests import workspace packages by name; the "graphrun-source" export condition points those
// imports at src/, so `npm test` needs no build step. The studio's browser tests are a project of
// their own so that their global setup (building the studio, ~5 s) runs only when one of them is
// queued: vitest skips a project's global setup when none of its files run.
export default defineConfig({
  resolve: { conditions: ['graphrun-source'] },
  ssr: { resolve: { conditions: ['graphrun-source'] } },
  test: {
    testTimeout: 20_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'graphrun',
          include: ['packages/*/src/**/*.test.{ts,tsx}', 'tests/**/*.test.ts'],
          exclude: [...configDefaults.exclude, STUDIO_TESTS],
        },
      },
      {
        extends: true,
        test: {
          name: 'studio',
          include: [STUDIO_TESTS],
          globalSetup: ['tests/e2e/studio-global-setup.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
})
