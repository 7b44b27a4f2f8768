import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: 'charm-machine',
    include: ['src/**/*.test.ts'],
    // The hook-tool tests start real processes; CI shares two cores with every other project.
    testTimeout: 30_000,
  },
})
