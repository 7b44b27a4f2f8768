import { parseArgs } from 'node:util'
import { createRoutingTable, routeLabels, type RoutedDecision } from '@webhook-router/router'
import { EXIT } from '../exit-codes.js'
import { HELP_OPTION, parseCommandArgs, UsageError, usageMessage } from './args.js'
import { loadRouterConfig } from './load-config.js'
import type { Command } from './types.js'

const HELP = `Usage: webhook-router route --labels <a,b,...> [--json]

Shows which flavour a job with these runs-on labels goes to, using the routing table from the
environment (APP_FLAVOURS, APP_DEFAULT_FLAVOUR, APP_DEFAULT_SELF_HOSTED_LABELS), exactly as
POST /webhook would route it. Nothing is published.

Options:
  --labels <list>  comma-separated labels, as in the job's runs-on (may repeat; '' = no labels)
  --json           print the decision as one JSON object
  -h, --help       show this help

Exit codes: 0 routed, 1 invalid configuration, 2 usage error, 3 unroutable.`

/**
 * `webhook-router route`: a dry run of the routing decision.
 *
 * @example
 * // webhook-router route --labels self-hosted,linux,x64,large --json
 * // {"routed":true,"flavour":"large",...}
 */
export const routeCommand: Command = {
  name: 'route',
  summary: 'Show which flavour a set of labels is routed to (dry run)',
  help: HELP,
  async run(io) {
    const { values } = parseCommandArgs('route', 0, () =>
      parseArgs({
        args: [...io.argv],
        options: {
          ...HELP_OPTION,
          labels: { type: 'string', multiple: true },
          json: { type: 'boolean' },
        },
        strict: true,
      }),
    )
    if (values.help) {
      io.stdout(HELP)
      return EXIT.ok
    }
    if (values.labels === undefined) {
      throw new UsageError(usageMessage('route', 'missing --labels'))
    }
    const labels = values.labels
      .flatMap((list) => list.split(','))
      .map((label) => label.trim())
      .filter((label) => label !== '')
    const config = loadRouterConfig(io)
    if (!config) return EXIT.failure

    const decision = routeLabels(createRoutingTable(config), labels)
    if (values.json) {
      io.stdout(JSON.stringify(decision))
    } else if (decision.routed) {
      // The flavour alone on stdout, so scripts can use $(webhook-router route ...).
      io.stdout(decision.flavour)
      io.stderr(explainRouted(decision))
    } else {
      io.stderr(`unroutable: ${decision.reason}`)
      if (decision.closest) {
        const missing = decision.closest.missingLabels.join(', ')
        io.stderr(`closest flavour: '${decision.closest.flavour}' (missing: ${missing})`)
      }
    }
    return decision.routed ? EXIT.ok : EXIT.unroutable
  },
}

function explainRouted(decision: RoutedDecision): string {
  if (decision.rule === 'default') {
    return `no labels left after stripping the self-hosted ones: default flavour '${decision.flavour}'`
  }
  return `'${decision.flavour}' is the first flavour with all of [${decision.labels.join(', ')}]`
}
