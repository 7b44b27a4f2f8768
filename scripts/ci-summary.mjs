// Prints the one line CI reads, "N passed, N failed[, N skipped]", from vitest's JSON report.
// A failed lint counts as one failed check, so a green test run cannot hide it.
import { existsSync, readFileSync } from 'node:fs'

const [resultsPath = '.vitest-results.json', lintStatus = '0'] = process.argv.slice(2)
const lintFailed = lintStatus !== '0' ? 1 : 0

if (!existsSync(resultsPath)) {
  console.log('vitest wrote no JSON report (the build or the run failed before tests ran)')
  console.log(`0 passed, ${1 + lintFailed} failed`)
  process.exit(1)
}

const report = JSON.parse(readFileSync(resultsPath, 'utf8'))
const passed = report.numPassedTests ?? 0
const failed = (report.numFailedTests ?? 0) + lintFailed
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0)
// A suite file that failed to load has no failed tests but must still fail CI.
const brokenSuites = (report.testResults ?? []).filter(
  (suite) => suite.status === 'failed' && (suite.assertionResults ?? []).length === 0,
).length

if (lintFailed) console.log('lint failed: see "npm run lint" above')
if (brokenSuites) console.log(`${brokenSuites} test file(s) failed to load`)
console.log(`${passed} passed, ${failed + brokenSuites} failed, ${skipped} skipped`)
process.exit(failed + brokenSuites > 0 || passed === 0 ? 1 : 0)
