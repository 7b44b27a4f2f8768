import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: 'charm',
    include: ['src/**/*.test.ts'],
  },
})
