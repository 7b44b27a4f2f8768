import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: 'pebble-client',
    include: ['src/**/*.test.ts'],
  },
})
