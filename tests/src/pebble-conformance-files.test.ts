/**
 * Conformance, part 5: the files API (push, pull, list, makeDir, remove) and its per-file and
 * request errors; the same assertions against real Pebble v1.32.1 and against our double, both
 * on the host filesystem.
 */
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { userInfo } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { APIError, PathError, type PebbleClient } from '@webhook-router/pebble-client'
import { PEBBLE_TARGETS, scratchDir, type RunningPebble } from './pebble-targets.js'

const scratch = scratchDir('pebble-files')
afterAll(() => scratch.remove())

let counter = 0

describe.each(PEBBLE_TARGETS)('$name: files', (target) => {
  let pebble: RunningPebble
  let client: PebbleClient
  /** A fresh directory for each test. */
  let dir: string

  beforeEach(async () => {
    pebble = await target.start()
    client = pebble.client
    dir = join(scratch.dir, `t${++counter}`)
    mkdirSync(dir)
  })
  afterEach(async () => {
    await pebble.close()
  })

  const pathError = (promise: Promise<unknown>) =>
    promise.then(
      () => {
        throw new Error('expected a PathError')
      },
      (error: unknown) => {
        expect(error).toBeInstanceOf(PathError)
        return error as PathError
      },
    )

  it('pushes a file with mode 644 and pulls it back as text and bytes', async () => {
    const path = join(dir, 'app.yaml')
    await client.push(path, 'key: value\n')
    expect(readFileSync(path, 'utf8')).toBe('key: value\n')
    expect(statSync(path).mode & 0o777).toBe(0o644)
    expect(await client.pull(path)).toBe('key: value\n')
    const bytes = Uint8Array.from([0, 1, 2, 255])
    await client.push(path, bytes)
    expect([...(await client.pullBytes(path))]).toEqual([0, 1, 2, 255])
  })

  it('pushes with permissions and creates missing parents with makeDirs', async () => {
    const path = join(dir, 'a', 'b', 'secret')
    await client.push(path, 's3cr3t', { makeDirs: true, permissions: '600' })
    expect(statSync(path).mode & 0o777).toBe(0o600)
    expect(statSync(join(dir, 'a')).mode & 0o777).toBe(0o755)
  })

  it('fails a push into a missing directory with not-found', async () => {
    const error = await pathError(client.push(join(dir, 'missing', 'f'), 'x'))
    expect(error.kind).toBe('not-found')
    expect(error.message).toContain(join(dir, 'missing'))
  })

  it('fails a push with bad permissions', async () => {
    const error = await pathError(client.push(join(dir, 'f'), 'x', { permissions: '999' }))
    expect(error.kind).toBe('generic-file-error')
  })

  it('fails a pull of a missing file with not-found and of a directory with generic-file-error', async () => {
    const missing = join(dir, 'nope')
    const notFound = await pathError(client.pull(missing))
    expect(notFound).toMatchObject({
      kind: 'not-found',
      message: `stat ${missing}: no such file or directory`,
    })
    const directory = await pathError(client.pull(dir))
    expect(directory).toMatchObject({
      kind: 'generic-file-error',
      message: `can only read a regular file: "${dir}"`,
    })
  })

  it('refuses relative paths', async () => {
    const error = await client.pull('relative/path').catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(PathError)
    expect((error as PathError).message).toBe('paths must be absolute, got "relative/path"')
  })

  it('answers a read that does not accept multipart 400', async () => {
    const path = join(dir, 'f')
    writeFileSync(path, 'x')
    await expect(
      client.request('GET', '/v1/files', { query: { action: 'read', path } }),
    ).rejects.toMatchObject({ statusCode: 400, message: 'must accept multipart/form-data' })
  })

  it('lists a directory sorted, with a pattern, and the path itself', async () => {
    writeFileSync(join(dir, 'b.yaml'), 'bb')
    writeFileSync(join(dir, 'a.txt'), 'a')
    mkdirSync(join(dir, 'sub'))
    const list = await client.list(dir)
    expect(list.map((entry) => [entry.name, entry.type])).toEqual([
      ['a.txt', 'file'],
      ['b.yaml', 'file'],
      ['sub', 'directory'],
    ])
    expect(list[1]).toMatchObject({
      path: join(dir, 'b.yaml'),
      size: 2,
      permissions: '644',
      'user-id': userInfo().uid,
      user: userInfo().username,
      'group-id': userInfo().gid,
    })
    expect(list[1]?.group).toEqual(expect.any(String))
    // Whole seconds, as Go's RFC 3339 writes them.
    expect(list[1]?.['last-modified']).toMatch(/T\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$/)
    expect(list[2]?.size).toBeUndefined()
    expect((await client.list(dir, { pattern: '*.yaml' })).map((entry) => entry.name)).toEqual([
      'b.yaml',
    ])
    expect((await client.list(dir, { pattern: '[ab].*' })).map((entry) => entry.name)).toEqual([
      'a.txt',
      'b.yaml',
    ])
    const [itself] = await client.list(dir, { itself: true })
    expect(itself).toMatchObject({ path: dir, type: 'directory' })
  })

  it('answers a list with a bad pattern or a relative path 400', async () => {
    // Go finds a pattern bad only when it matches a name against it.
    expect(await client.list(dir, { pattern: '[' })).toEqual([])
    writeFileSync(join(dir, 'f'), 'x')
    await expect(client.list(dir, { pattern: '[' })).rejects.toMatchObject({
      statusCode: 400,
      kind: 'generic-file-error',
      message: 'syntax error in pattern',
    })
    await expect(client.list('relative')).rejects.toMatchObject({
      statusCode: 400,
      kind: undefined,
      message: 'path must be absolute, got "relative"',
    })
  })

  it('fails a push owned by an unknown user', async () => {
    const error = await pathError(client.push(join(dir, 'f'), 'x', { user: 'no-such-user-here' }))
    expect(error).toMatchObject({
      kind: 'generic-file-error',
      message: 'cannot look up user and group: user: unknown user no-such-user-here',
    })
  })

  it('answers a list of a missing path with an error envelope 404 not-found', async () => {
    const error = await client.list(join(dir, 'nope')).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(APIError)
    expect(error).toMatchObject({ statusCode: 404, kind: 'not-found' })
  })

  it('makes directories, with parents on request', async () => {
    await client.makeDir(join(dir, 'one'))
    expect(statSync(join(dir, 'one')).isDirectory()).toBe(true)
    await client.makeDir(join(dir, 'x', 'y'), { makeParents: true, permissions: '700' })
    expect(statSync(join(dir, 'x', 'y')).mode & 0o777).toBe(0o700)
    const missingParent = await pathError(client.makeDir(join(dir, 'p', 'q')))
    expect(missingParent.kind).toBe('not-found')
    const exists = await pathError(client.makeDir(join(dir, 'one')))
    expect(exists.kind).toBe('generic-file-error')
    expect(exists.message).toContain('file exists')
  })

  it('removes files and empty directories; a full directory needs recursive', async () => {
    writeFileSync(join(dir, 'f'), 'x')
    await client.remove(join(dir, 'f'))
    mkdirSync(join(dir, 'full'))
    writeFileSync(join(dir, 'full', 'f'), 'x')
    const notEmpty = await pathError(client.remove(join(dir, 'full')))
    expect(notEmpty.kind).toBe('generic-file-error')
    expect(notEmpty.message).toContain('directory not empty')
    await client.remove(join(dir, 'full'), { recursive: true })
    expect((await client.list(dir)).map((entry) => entry.name)).toEqual([])
    const missing = await pathError(client.remove(join(dir, 'gone')))
    expect(missing.kind).toBe('not-found')
  })

  it('answers an unknown action 400 and a JSON write 400', async () => {
    await expect(
      client.request('POST', '/v1/files', { body: { action: 'shred' } }),
    ).rejects.toMatchObject({ statusCode: 400, message: 'invalid action "shred"' })
    await expect(
      client.request('POST', '/v1/files', { body: { action: 'write', files: [] } }),
    ).rejects.toMatchObject({ statusCode: 400, message: 'must use multipart with "write" action' })
  })
})
