import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: 'charm-machine',
    include: ['src/**/*.test.ts'],
  },
})
