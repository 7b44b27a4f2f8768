import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { SQLITE_SCHEMA_VERSION, configureConnection, migrateSchema } from './sqlite-schema.js'

const open: Database.Database[] = []
function memory(): Database.Database {
  const db = new Database(':memory:')
  open.push(db)
  return db
}
afterEach(() => {
  for (const db of open.splice(0)) db.close()
})

describe('configureConnection', () => {
  it('sets synchronous FULL (2) or NORMAL (1) and enables foreign keys', () => {
    const full = memory()
    configureConnection(full, 'FULL')
    expect(full.pragma('synchronous', { simple: true })).toBe(2)
    expect(full.pragma('foreign_keys', { simple: true })).toBe(1)
    const normal = memory()
    configureConnection(normal, 'NORMAL')
    expect(normal.pragma('synchronous', { simple: true })).toBe(1)
  })
})

describe('migrateSchema', () => {
  it('records the schema version in user_version', () => {
    const db = memory()
    migrateSchema(db)
    expect(db.pragma('user_version', { simple: true })).toBe(SQLITE_SCHEMA_VERSION)
  })

  it('never lowers a newer schema version and still creates missing tables', () => {
    const db = memory()
    db.pragma(`user_version = ${SQLITE_SCHEMA_VERSION + 5}`)
    migrateSchema(db)
    expect(db.pragma('user_version', { simple: true })).toBe(SQLITE_SCHEMA_VERSION + 5)
    expect(
      db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'kombu_message'").pluck().get(),
    ).toBe(1)
  })

  it('recreates an index that was dropped', () => {
    const db = memory()
    migrateSchema(db)
    db.exec('DROP INDEX ix_kombu_message_visible')
    migrateSchema(db)
    const index = db.prepare(
      "SELECT name FROM sqlite_master WHERE name = 'ix_kombu_message_visible'",
    )
    expect(index.pluck().get()).toBe('ix_kombu_message_visible')
  })

  it('enforces the message-to-queue foreign key once configured', () => {
    const db = memory()
    configureConnection(db, 'FULL')
    migrateSchema(db)
    const orphan = () =>
      db.exec(
        "INSERT INTO kombu_message (visible, payload, version, queue_id) VALUES (1, 'x', 1, 42)",
      )
    expect(orphan).toThrow(/FOREIGN KEY constraint failed/)
  })
})
