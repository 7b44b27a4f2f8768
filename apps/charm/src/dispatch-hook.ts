import { createHookTools, runHook, spawnToolRunner } from '@webhook-router/charm-machine/juju'
import { createRouterCharm, startCommonReads } from './charm.js'
import { networkGetOver } from './juju-model.js'
import { shellToolRunner } from './shell-tool-runner.js'
import { cachingToolRunner } from './tool-cache.js'

/**
 * Runs the hook or action that Juju's environment `env` names and returns the exit code for the
 * process. Both entry points of the packed charm call it: `dist/charm.mjs` and the startup
 * snapshot `dist/charm.blob`, whose main function runs only after the snapshot is loaded.
 *
 * @example
 * ```ts
 * process.exitCode = await dispatchHook(process.env)
 * ```
 */
export async function dispatchHook(env: NodeJS.ProcessEnv): Promise<number> {
  // Tests point the charm at a Pebble double's socket; in Juju the default path is right.
  const containersDir = env['WEBHOOK_ROUTER_CONTAINERS_DIR']
  // Hook tools run through a few shells (cheap forks); repeated reads come from a cache.
  const runner = cachingToolRunner(shellToolRunner(env, spawnToolRunner(env)))
  const charm = createRouterCharm({
    networkGet: networkGetOver(runner),
    ...(containersDir ? { containersDir } : {}),
  })
  const tools = createHookTools(runner)
  // The tools can answer while the runtime loads the unit's state; the charm asks again later
  // and gets the cached answers.
  if (env['JUJU_DISPATCH_PATH'] !== undefined) void startCommonReads(tools)
  const outcome = await runHook(charm, { env, tools })
  return outcome.exitCode
}
