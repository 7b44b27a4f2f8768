// Prints the one line CI reads, "N passed, N failed, N skipped", summed over vitest's JSON
// reports (one per Node.js the suite ran on), after one line per report.
//
//   node scripts/ci-summary.mjs [--check NAME=STATUS]... [--report LABEL=PATH]...
//
// A check that did not exit 0 (lint, npm ci's engine check) counts as one failed test, so a
// green test run cannot hide it; so does a missing report (the run failed before its tests) and
// a suite file that failed to load.
import { existsSync, readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'

const { values } = parseArgs({
  options: {
    check: { type: 'string', multiple: true, default: [] },
    report: { type: 'string', multiple: true, default: [] },
  },
  strict: true,
})
const split = (pair) => {
  const at = pair.lastIndexOf('=')
  return at === -1 ? [pair, ''] : [pair.slice(0, at), pair.slice(at + 1)]
}

let passed = 0
let failed = 0
let skipped = 0
for (const [label, status] of values.check.map(split)) {
  if (status === '0') continue
  console.log(`${label} failed (exit ${status}): see above`)
  failed += 1
}
if (values.report.length === 0) {
  console.log('no test report given')
  failed += 1
}
for (const [label, path] of values.report.map(split)) {
  if (!existsSync(path)) {
    console.log(
      `${label}: vitest wrote no JSON report (the build or the run failed before tests ran)`,
    )
    failed += 1
    continue
  }
  const report = JSON.parse(readFileSync(path, 'utf8'))
  // A suite file that failed to load has no failed tests but must still fail CI.
  const broken = (report.testResults ?? []).filter(
    (suite) => suite.status === 'failed' && (suite.assertionResults ?? []).length === 0,
  ).length
  const run = {
    passed: report.numPassedTests ?? 0,
    failed: (report.numFailedTests ?? 0) + broken,
    skipped: (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0),
  }
  if (run.passed === 0) run.failed = Math.max(run.failed, 1)
  const note = broken > 0 ? ` (${broken} test file(s) failed to load)` : ''
  console.log(`${label}: ${run.passed} passed, ${run.failed} failed, ${run.skipped} skipped${note}`)
  passed += run.passed
  failed += run.failed
  skipped += run.skipped
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`)
process.exit(failed > 0 ? 1 : 0)
