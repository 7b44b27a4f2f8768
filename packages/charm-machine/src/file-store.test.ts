import {
  appendFileSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { juju } from './__fixtures__/facts.js'
import { FileStore, charmMachine, openUnit, provideEffects, replayLog } from './index.js'

const machine = provideEffects(charmMachine, {
  validateConfig: async () => ({ errors: [] }),
  runMigrations: async () => undefined,
  restartWorkload: async () => undefined,
})

async function unitIn(directory: string) {
  return openUnit({
    machine,
    store: new FileStore({ directory, now: () => new Date('2026-02-03T04:05:06Z') }),
  })
}

async function activeDirectory(): Promise<string> {
  const directory = join(mkdtempSync(join(tmpdir(), 'charm-store-')), '.charm-machine')
  await (await unitIn(directory)).dispatch(juju('juju.config-changed'))
  return directory
}

describe('FileStore', () => {
  it('writes the log and checkpoint readable by the owner only', async () => {
    const directory = await activeDirectory()
    expect(statSync(join(directory, 'log.jsonl')).mode & 0o777).toBe(0o600)
    expect(statSync(join(directory, 'snapshot.json')).mode & 0o777).toBe(0o600)
    expect(readFileSync(join(directory, 'log.jsonl'), 'utf8').trim().split('\n')).toHaveLength(4)
  })

  it('leaves no temporary file after writing the checkpoint', async () => {
    const directory = await activeDirectory()
    expect(readdirSync(directory).sort()).toEqual(['log.jsonl', 'snapshot.json'])
  })

  it('reads only the entries after the checkpoint', async () => {
    const directory = await activeDirectory()
    const log = join(directory, 'log.jsonl')
    // Damage (same length) an entry the checkpoint already covers: loading must not read it.
    writeFileSync(log, readFileSync(log, 'utf8').replace('"seq":1,', '"seq":x,'))
    const unit = await unitIn(directory)
    expect(unit.recovery).toBeNull()
    expect(unit.notes).toEqual([])
    expect(unit.status.name).toBe('active')
  })

  it('replays the entries written after the checkpoint', async () => {
    const directory = await activeDirectory()
    const snapshotPath = join(directory, 'snapshot.json')
    const checkpoint = readFileSync(snapshotPath, 'utf8')
    await (
      await unitIn(directory)
    ).dispatch(
      juju(
        'juju.update-status',
        {},
        { ...juju('juju.install').facts, containers: { web: { reachable: false } } },
      ),
    )
    writeFileSync(snapshotPath, checkpoint)
    const unit = await unitIn(directory)
    expect(unit.seq).toBe(5)
    expect(unit.status).toEqual({ name: 'waiting', message: 'Waiting for pebble ready' })
  })

  it('drops a torn final line and keeps appending cleanly after it', async () => {
    const directory = await activeDirectory()
    appendFileSync(join(directory, 'log.jsonl'), '{"seq":5,"at":"2026-')
    const unit = await unitIn(directory)
    expect(unit.notes).toEqual(['dropped a torn final log line (20 bytes) that was never applied'])
    await unit.dispatch(juju('juju.update-status'))
    const reopened = await unitIn(directory)
    expect(reopened.recovery).toBeNull()
    expect(reopened.seq).toBe(5)
  })

  it('rebuilds from the log when the checkpoint is not JSON', async () => {
    const directory = await activeDirectory()
    writeFileSync(join(directory, 'snapshot.json'), '{"record":')
    const unit = await unitIn(directory)
    expect(unit.recovery).toBeNull()
    expect(unit.status.name).toBe('active')
    expect(unit.notes[0]).toMatch(/^unreadable snapshot/)
  })

  it('quarantines a corrupt log, keeps it for humans and recovers from the current facts', async () => {
    const directory = await activeDirectory()
    const log = join(directory, 'log.jsonl')
    writeFileSync(join(directory, 'snapshot.json'), 'garbage')
    writeFileSync(log, readFileSync(log, 'utf8').replace('"seq":2,', '"seq":"two",'))
    const unit = await unitIn(directory)
    expect(unit.recovery).toMatch(/invalid log line/)
    const result = await unit.dispatch(juju('juju.config-changed'))
    expect(result.status).toEqual({ name: 'active', message: '' })
    const files = readdirSync(directory).sort()
    expect(files).toEqual([
      'log.jsonl',
      'log.jsonl.corrupt-2026-02-03T04-05-06-000Z',
      'quarantine-2026-02-03T04-05-06-000Z.txt',
      'snapshot.json',
      'snapshot.json.corrupt-2026-02-03T04-05-06-000Z',
    ])
    const entries = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { event: { type: string } })
    expect(entries[0]?.event.type).toBe('charm.recovered')
  })

  it('never loses a unit to a log the store cannot parse at all', async () => {
    const directory = await activeDirectory()
    writeFileSync(join(directory, 'log.jsonl'), 'not json\n')
    writeFileSync(join(directory, 'snapshot.json'), '{}')
    const unit = await unitIn(directory)
    const result = await unit.dispatch(juju('juju.config-changed'))
    expect(result.status.name).toBe('active')
  })

  it('produces a log whose replay equals the stored checkpoint', async () => {
    const directory = await activeDirectory()
    const store = new FileStore({ directory })
    const { entries } = await store.readLog()
    const checkpoint = JSON.parse(readFileSync(join(directory, 'snapshot.json'), 'utf8')) as {
      record: { value: unknown; context: unknown }
    }
    const replayed = replayLog(charmMachine, entries).snapshot
    expect(replayed.value).toEqual(checkpoint.record.value)
    expect(replayed.context).toEqual(checkpoint.record.context)
  })
})

describe('FileStore memo', () => {
  const store = () =>
    new FileStore({
      directory: join(mkdtempSync(join(tmpdir(), 'charm-store-')), '.charm-machine'),
    })

  it('hands the saved memo to the next taker once, readable by the owner only', async () => {
    const files = store()
    await files.saveMemo({ 'status.unit': '{"name":"active","message":""}' })
    expect(statSync(files.memoPath).mode & 0o777).toBe(0o600)
    expect(await files.takeMemo()).toEqual({ 'status.unit': '{"name":"active","message":""}' })
    expect(await files.takeMemo()).toEqual({})
  })

  it('returns an empty memo when none was saved', async () => {
    expect(await store().takeMemo()).toEqual({})
  })

  it.each([
    ['not JSON', '{oops'],
    ['not a string map', '{"status.unit": 3}'],
  ])('treats a memo that is %s as none and removes it', async (_case, text) => {
    const files = store()
    await files.saveMemo({})
    writeFileSync(files.memoPath, text)
    expect(await files.takeMemo()).toEqual({})
    expect(readdirSync(join(files.memoPath, '..'))).not.toContain('memo.json')
  })
})
