// The charm's entry point, bundled into dist/charm.mjs and exec'd by `dispatch` for every hook
// and action. Juju's environment says which; charm-machine's runtime does the rest.
import { createHookTools, runHook, spawnToolRunner } from '@webhook-router/charm-machine/juju'
import { createRouterCharm } from './charm.js'
import { networkGetOver } from './juju-model.js'
import { shellToolRunner } from './shell-tool-runner.js'
import { cachingToolRunner } from './tool-cache.js'

// Tests point the charm at a Pebble double's socket; in Juju the default path is right.
const containersDir = process.env['WEBHOOK_ROUTER_CONTAINERS_DIR']
// Hook tools run through one shell (cheap forks) and repeated reads are answered from a cache.
const runner = cachingToolRunner(shellToolRunner(process.env, spawnToolRunner(process.env)))
const tools = createHookTools(runner)
const charm = createRouterCharm({
  networkGet: networkGetOver(runner),
  ...(containersDir ? { containersDir } : {}),
})
const outcome = await runHook(charm, { tools })
process.exitCode = outcome.exitCode
