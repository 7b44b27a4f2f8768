// A writer thread that dies on its first message while the marker file named in
// `workerData.path + '.die'` exists (and removes it), and otherwise runs the real writer.
// Tests use it to prove that a lost writer fails the callers in progress and is replaced.
import { existsSync, rmSync } from 'node:fs'
import { parentPort, workerData } from 'node:worker_threads'

const marker = `${workerData.path}.die`
if (existsSync(marker)) {
  rmSync(marker)
  parentPort.once('message', () => process.exit(3))
} else {
  await import(new URL('../../../dist/queue/sqlite-thread-worker.js', import.meta.url).href)
}
