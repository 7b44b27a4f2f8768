// The one line CI reads: both test runs (machine Node and shipped Node) and every check count.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { REPO } from '../fake-juju/packed-charm.js'

const work = mkdtempSync(join(tmpdir(), 'ci-summary-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))

let reports = 0
const report = (passed: number, failed: number, extra: Record<string, unknown> = {}): string => {
  const path = join(work, `report-${reports++}.json`)
  writeFileSync(
    path,
    JSON.stringify({
      numPassedTests: passed,
      numFailedTests: failed,
      numPendingTests: 1,
      numTodoTests: 0,
      testResults: [],
      ...extra,
    }),
  )
  return path
}

const summary = (...args: string[]) => {
  const result = spawnSync(process.execPath, [join(REPO, 'scripts/ci-summary.mjs'), ...args], {
    encoding: 'utf8',
  })
  return { status: result.status, lines: result.stdout.trimEnd().split('\n') }
}

describe('scripts/ci-summary.mjs', () => {
  it('sums both runs into the last line, after one line per run', () => {
    const out = summary(
      '--check',
      'lint=0',
      '--report',
      `Node v20=${report(10, 0)}`,
      '--report',
      `Node v24=${report(8, 0)}`,
    )
    expect(out.lines).toEqual([
      'Node v20: 10 passed, 0 failed, 1 skipped',
      'Node v24: 8 passed, 0 failed, 1 skipped',
      '18 passed, 0 failed, 2 skipped',
    ])
    expect(out.status).toBe(0)
  })

  it('fails on a failure in the second run alone', () => {
    const out = summary('--report', `a=${report(10, 0)}`, '--report', `b=${report(7, 2)}`)
    expect(out.lines.at(-1)).toBe('17 passed, 2 failed, 2 skipped')
    expect(out.status).toBe(1)
  })

  it('counts a missing report, a failed check and a file that did not load as failures', () => {
    const broken = report(5, 0, { testResults: [{ status: 'failed', assertionResults: [] }] })
    const out = summary(
      '--check',
      'lint=1',
      '--check',
      'npm ci engines=0',
      '--report',
      `a=${broken}`,
      '--report',
      `b=${join(work, 'missing.json')}`,
    )
    expect(out.lines).toEqual([
      'lint failed (exit 1): see above',
      'a: 5 passed, 1 failed, 1 skipped (1 test file(s) failed to load)',
      'b: vitest wrote no JSON report (the build or the run failed before tests ran)',
      '5 passed, 3 failed, 1 skipped',
    ])
    expect(out.status).toBe(1)
  })

  it('does not pass a run in which no test passed', () => {
    const out = summary('--report', `a=${report(0, 0)}`)
    expect(out.lines.at(-1)).toBe('0 passed, 1 failed, 1 skipped')
    expect(out.status).toBe(1)
  })
})
