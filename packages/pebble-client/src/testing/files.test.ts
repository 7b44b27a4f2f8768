import { mkdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { PathError, type PebbleClient } from '../index.js'
import { startPebbleDouble, type PebbleDouble } from './index.js'

let double: PebbleDouble
let client: PebbleClient

beforeEach(async () => {
  double = await startPebbleDouble()
  client = double.client()
})
afterEach(async () => {
  await double.close()
})

describe('files (§8)', () => {
  it('§8 push writes under root with the requested mode, pull reads it back', async () => {
    await client.push('/etc/app/config.yaml', 'key: value\n', {
      makeDirs: true,
      permissions: '600',
    })
    const host = join(double.root, 'etc/app/config.yaml')
    expect(await readFile(host, 'utf8')).toBe('key: value\n')
    expect((await stat(host)).mode & 0o777).toBe(0o600)
    expect(await client.pull('/etc/app/config.yaml')).toBe('key: value\n')
    expect(await client.pullBytes('/etc/app/config.yaml')).toEqual(Buffer.from('key: value\n'))
  })

  it('§8 push without make-dirs into a missing directory is a not-found PathError', async () => {
    const error = await client.push('/missing/dir/file', 'x').catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(PathError)
    expect(error).toMatchObject({ kind: 'not-found' })
  })

  it('§8 pull of a missing file is PathError not-found with stat wording; of a directory, generic-file-error', async () => {
    await expect(client.pull('/nope')).rejects.toMatchObject({
      kind: 'not-found',
      message: 'stat /nope: no such file or directory',
    })
    await mkdir(join(double.root, 'dir'))
    await expect(client.pull('/dir')).rejects.toMatchObject({
      kind: 'generic-file-error',
      message: 'can only read a regular file: "/dir"',
    })
  })

  it('§8 relative paths are refused', async () => {
    await expect(client.pull('relative.txt')).rejects.toMatchObject({
      message: 'paths must be absolute, got "relative.txt"',
    })
  })

  it('§8 read needs Accept: multipart/form-data', async () => {
    await expect(
      client.request('GET', '/v1/files', { query: { action: 'read', path: '/x' } }),
    ).rejects.toMatchObject({
      statusCode: 400,
      message: 'must accept multipart/form-data',
    })
  })

  it('§8 list describes entries, filters by pattern, and 404s with kind not-found for a missing path', async () => {
    await mkdir(join(double.root, 'conf/sub'), { recursive: true })
    await writeFile(join(double.root, 'conf/a.yaml'), 'abc')
    await writeFile(join(double.root, 'conf/b.txt'), '')
    const entries = await client.list('/conf')
    expect(entries.map((entry) => [entry.name, entry.type, entry.path])).toEqual([
      ['a.yaml', 'file', '/conf/a.yaml'],
      ['b.txt', 'file', '/conf/b.txt'],
      ['sub', 'directory', '/conf/sub'],
    ])
    expect(entries[0]).toMatchObject({ size: 3, permissions: '644' })
    expect((await client.list('/conf', { pattern: '*.yaml' })).map((entry) => entry.name)).toEqual([
      'a.yaml',
    ])
    expect((await client.list('/conf', { itself: true }))[0]).toMatchObject({
      name: 'conf',
      type: 'directory',
    })
    await expect(client.list('/absent')).rejects.toMatchObject({
      statusCode: 404,
      kind: 'not-found',
    })
  })

  it('§8 makeDir creates directories, and reports an existing one without make-parents', async () => {
    await client.makeDir('/a/b/c', { makeParents: true, permissions: '700' })
    expect((await stat(join(double.root, 'a/b/c'))).mode & 0o777).toBe(0o700)
    await expect(client.makeDir('/a')).rejects.toMatchObject({
      kind: 'generic-file-error',
      message: 'mkdir /a: file exists',
    })
  })

  it('§8 remove deletes files, refuses a non-empty directory unless recursive', async () => {
    await client.push('/d/f', 'x', { makeDirs: true })
    await expect(client.remove('/d')).rejects.toMatchObject({
      message: 'remove /d: directory not empty',
    })
    await client.remove('/d', { recursive: true })
    await expect(client.list('/d')).rejects.toMatchObject({ statusCode: 404 })
    await expect(client.remove('/d')).rejects.toMatchObject({ kind: 'not-found' })
  })

  it('§8 write as JSON is refused, and a short multipart boundary is 400 invalid boundary', async () => {
    await expect(
      client.request('POST', '/v1/files', { body: { action: 'write', files: [] } }),
    ).rejects.toMatchObject({
      message: 'must use multipart with "write" action',
    })
    const raw = await client.rawRequest({
      method: 'POST',
      path: '/v1/files',
      headers: { 'Content-Type': 'multipart/form-data; boundary=short' },
      body: '--short--\r\n',
    })
    expect(raw.statusCode).toBe(400)
    expect(JSON.parse(raw.body.toString()).result.message).toBe('invalid boundary')
  })
})
