/**
 * Helpers for process-level tests of the packed charm: pack and unpack it as Juju would, and
 * give the Pebble double a `webhook-router` on PATH that runs the built workload.
 */
import { execFile } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createServer } from 'node:net'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** The repository root. */
export const REPO = resolve(fileURLToPath(import.meta.url), '../../..')

/**
 * Packs the charm into `work/pack` (Node stored uncompressed, for speed) and unzips it into
 * `work/charm`, preserving the executable bits as Juju's unpacking does. Builds first when
 * `dist` is missing (`npm test` builds before running tests).
 */
export async function unpackCharm(work: string): Promise<string> {
  const built =
    existsSync(join(REPO, 'apps/charm/dist/index.js')) &&
    existsSync(join(REPO, 'apps/workload/dist/cli.js'))
  if (!built) await run('npx', ['tsc', '-b', 'apps/charm', 'apps/workload'], { cwd: REPO })
  const packDir = join(work, 'pack')
  await run(process.execPath, ['apps/charm/scripts/pack.mjs', '--fast', '--out', packDir], {
    cwd: REPO,
  })
  const charmDir = join(work, 'charm')
  mkdirSync(charmDir)
  await run('unzip', ['-q', join(packDir, 'github-runner-webhook-router.charm'), '-d', charmDir])
  return charmDir
}

/**
 * Writes `shims/webhook-router`, standing in for the rock's binary on PATH: the real workload,
 * except that while `failServeFile` exists `serve` exits at once, as a workload that cannot
 * start does.
 */
export function workloadShim(work: string, failServeFile?: string): string {
  const shims = join(work, 'shims')
  mkdirSync(shims)
  writeFileSync(
    join(shims, 'webhook-router'),
    [
      '#!/bin/sh',
      ...(failServeFile === undefined
        ? []
        : [
            `if [ "$1" = serve ] && [ -f '${failServeFile}' ]; then echo 'serve: refused by the test' >&2; exit 1; fi`,
          ]),
      // The charm's dedup path is in the workload container; here the workload shares the
      // host's filesystem, so the work dir stands in for it.
      `if [ -n "$APP_STREAM_DEDUP_PATH" ]; then export APP_STREAM_DEDUP_PATH='${join(work, 'stream-dedup.sqlite')}'; fi`,
      `exec '${process.execPath}' '${join(REPO, 'apps/workload/dist/cli.js')}' "$@"`,
      '',
    ].join('\n'),
  )
  chmodSync(join(shims, 'webhook-router'), 0o755)
  return shims
}

/** Polls `url` until something answers: the workload binds a moment after Pebble's okay-delay. */
export async function waitForAnswer(url: string, attempts = 50): Promise<Response> {
  let lastError: unknown
  for (let attempt = 0; attempt < attempts; attempt++) {
    try {
      return await fetch(url)
    } catch (error) {
      lastError = error
      await new Promise((resolveWait) => setTimeout(resolveWait, 100))
    }
  }
  throw lastError
}

/**
 * Fails with a clear message when a port the charm's workload binds (8000, 9102 are fixed by
 * the charm) is taken, instead of letting the test fail later on a confusing status.
 */
export async function assertPortsFree(ports: readonly number[]): Promise<void> {
  for (const port of ports) {
    await new Promise<void>((resolveFree, reject) => {
      const probe = createServer()
      probe.once('error', (error: NodeJS.ErrnoException) =>
        reject(new Error(`port ${port} is in use (${error.code}); the charm's workload binds it`)),
      )
      probe.listen(port, '0.0.0.0', () => probe.close(() => resolveFree()))
    })
  }
}
