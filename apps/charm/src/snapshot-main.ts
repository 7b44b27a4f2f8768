// The entry point of the charm's V8 startup snapshot (dist/charm.blob), built at pack time by
// the Node binary the charm ships: `node --snapshot-blob charm.blob --build-snapshot <bundle>`.
// Building runs the modules' top-level code (the state machine is created then) and stores the
// heap; `dispatch` runs `node --snapshot-blob charm.blob`, which starts from that heap and calls
// the main function below with the hook's own environment.
import { startupSnapshot } from 'node:v8'
import { dispatchHook } from './dispatch-hook.js'

const run = (): void => {
  dispatchHook(process.env).then(
    (code) => {
      process.exitCode = code
    },
    (error: unknown) => {
      process.stderr.write(`charm: ${(error as Error).message}\n`)
      process.exitCode = 1
    },
  )
}

if (startupSnapshot.isBuildingSnapshot()) startupSnapshot.setDeserializeMainFunction(run)
else run()
