import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: 'redelivery',
    include: ['src/**/*.test.ts'],
  },
})
