import { describe, expect, it } from 'vitest'
import {
  SECRET_KEY_FIELD,
  generateSecretKey,
  readSecretKey,
  secretKeyToCreate,
} from './secret-storage.js'

describe('secret storage', () => {
  it('generates an 86-character URL-safe key from 64 random bytes', () => {
    const key = generateSecretKey()
    expect(key).toMatch(/^[A-Za-z0-9_-]{86}$/)
  })

  it('uses the injected randomness', () => {
    expect(generateSecretKey((size) => Buffer.alloc(size, 0xff))).toBe('_'.repeat(85) + 'w')
  })

  it('creates a key only when none is stored', () => {
    expect(secretKeyToCreate({})).toHaveProperty(SECRET_KEY_FIELD)
    expect(secretKeyToCreate({ [SECRET_KEY_FIELD]: 'k' })).toBeUndefined()
  })

  it('treats an empty stored key as missing', () => {
    expect(readSecretKey({ [SECRET_KEY_FIELD]: '' })).toBeUndefined()
    expect(readSecretKey({ [SECRET_KEY_FIELD]: 'k' })).toBe('k')
  })
})
