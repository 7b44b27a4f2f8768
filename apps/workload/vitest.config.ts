import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: 'workload',
    include: ['src/**/*.test.ts'],
  },
})
