import { defineConfig } from 'vitest/config'

// Tests import workspace packages by name; the "graphrun-source" export condition points those
// imports at src/, so `npm test` needs no build step.
export default defineConfig({
  resolve: { conditions: ['graphrun-source'] },
  ssr: { resolve: { conditions: ['graphrun-source'] } },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'tests/**/*.test.ts'],
    testTimeout: 20_000,
  },
})
