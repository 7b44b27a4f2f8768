// The charm's entry point, bundled into dist/charm.mjs and exec'd by `dispatch` for every hook
// and action. Juju's environment says which; charm-machine's runtime does the rest.
import { createHookTools, runHook, spawnToolRunner } from '@webhook-router/charm-machine/juju'
import { createRouterCharm } from './charm.js'
import { cachingToolRunner } from './tool-cache.js'

// Tests point the charm at a Pebble double's socket; in Juju the default path is right.
const containersDir = process.env['WEBHOOK_ROUTER_CONTAINERS_DIR']
const outcome = await runHook(createRouterCharm(containersDir ? { containersDir } : {}), {
  tools: createHookTools(cachingToolRunner(spawnToolRunner(process.env))),
})
process.exitCode = outcome.exitCode
