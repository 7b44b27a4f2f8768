import type { CharmEffects } from '@webhook-router/charm-machine'
import { charmMachine } from '@webhook-router/charm-machine'
import type { CharmRuntime } from '@webhook-router/charm-machine/juju'
import {
  redeliverFailedWebhooks,
  rotateSecretKey,
  showHistory,
  type ActionDeps,
  type ActionOutcome,
} from './actions.js'
import { parseCharmConfig } from './config.js'
import { createRouterEffects } from './effects.js'
import { readHistory } from './history.js'
import { WORKLOAD_CONTAINER } from './integrations.js'
import { createJujuAction } from './juju-model.js'
import type { CharmModel } from './model.js'
import type { RouterCharmOptions } from './charm.js'

/**
 * The router's effects and actions for one dispatch. The charm's bundle loads this module (and
 * the config, layer, Pebble and action code behind it) only when the machine runs an effect or
 * an action; a settled hook runs none.
 */
export function routerCharmEffects(
  runtime: CharmRuntime,
  model: CharmModel,
  options: RouterCharmOptions & {
    readonly historyStore: NonNullable<RouterCharmOptions['historyStore']>
  },
): Partial<CharmEffects> {
  const pebble = runtime.workload(WORKLOAD_CONTAINER)
  const proxy = runtime.context.proxy
  const effects = createRouterEffects({
    model,
    pebble,
    proxy: {
      ...(proxy.http && { http: proxy.http }),
      ...(proxy.https && { https: proxy.https }),
      ...(proxy.no && { noProxy: proxy.no }),
    },
    ...(options.random !== undefined && { random: options.random }),
  })
  return {
    ...effects,
    async runAction(input): Promise<ActionOutcome> {
      const deps: ActionDeps = {
        model,
        pebble,
        action: createJujuAction(runtime.tools, input.name, input.params),
        ...(options.random !== undefined && { random: options.random }),
        history: (limit) =>
          readHistory(charmMachine, options.historyStore(runtime.context.charmDir), limit),
      }
      switch (input.name) {
        case 'rotate-secret-key':
          return rotateSecretKey(deps)
        case 'redeliver-failed-webhooks': {
          const parsed = parseCharmConfig(await model.config())
          return redeliverFailedWebhooks(deps, parsed.ok ? parsed.config.githubApiUrl : undefined)
        }
        case 'show-history':
          return showHistory(deps)
        default:
          return { failed: `unknown action "${input.name}"` }
      }
    },
  }
}
