import type { RouterConfig } from '../config/router-config.js'

// Juju's rule: lowercase segments joined by single hyphens; no segment may be only digits.
const jujuApplicationName = /^[a-z][a-z0-9]*(?:-[a-z0-9]*[a-z][a-z0-9]*)*$/

/** Something in the routing config that is legal but almost certainly not what was meant. */
export interface RoutingWarning {
  readonly code:
    | 'default-flavour-unknown'
    | 'flavour-shadowed'
    | 'label-is-self-hosted'
    | 'flavour-without-labels'
    | 'flavour-name-not-an-application'
  readonly flavour: string
  /** One line for the operator's log. */
  readonly message: string
}

/**
 * Checks the meaning of a routing config, which parsing does not: each warning names a flavour
 * that can never (or never fully) receive jobs. The workload logs these at start.
 *
 * @example
 * ```ts
 * lintRoutingConfig(parseRouterConfig(process.env)).forEach((w) => logger.warn(w.message, { ...w }))
 * ```
 */
export function lintRoutingConfig(
  config: Pick<RouterConfig, 'flavours' | 'defaultFlavour' | 'selfHostedLabels'>,
): RoutingWarning[] {
  const warnings: RoutingWarning[] = []
  const names = config.flavours.map((flavour) => flavour.name)
  if (!names.includes(config.defaultFlavour)) {
    warnings.push({
      code: 'default-flavour-unknown',
      flavour: config.defaultFlavour,
      message: `Default flavour '${config.defaultFlavour}' is not one of the flavours (${names.join(', ') || 'none'}); jobs without labels go to a queue no flavour is configured for.`,
    })
  }
  const selfHosted = new Set(config.selfHostedLabels.map((label) => label.toLowerCase()))
  const routable = (labels: readonly string[]): string[] =>
    labels.map((label) => label.toLowerCase()).filter((label) => !selfHosted.has(label))
  config.flavours.forEach((flavour, index) => {
    if (!jujuApplicationName.test(flavour.name)) {
      warnings.push({
        code: 'flavour-name-not-an-application',
        flavour: flavour.name,
        message: `Flavour '${flavour.name}' is not a valid Juju application name, but the consumer reads the queue named after its application, so no runner will take these jobs.`,
      })
    }
    if (flavour.labels.length === 0) {
      warnings.push({
        code: 'flavour-without-labels',
        flavour: flavour.name,
        message: `Flavour '${flavour.name}' has no labels, so only the default route can reach it.`,
      })
    }
    for (const label of flavour.labels) {
      if (selfHosted.has(label.toLowerCase())) {
        warnings.push({
          code: 'label-is-self-hosted',
          flavour: flavour.name,
          message: `Flavour '${flavour.name}' lists '${label}', which is stripped from every job as a self-hosted label, so it never takes part in routing.`,
        })
      }
    }
    // Self-hosted labels never reach routing, so only the remaining labels can shadow.
    const effective = routable(flavour.labels)
    const shadow = config.flavours
      .slice(0, index)
      .find((earlier) => isSubset(effective, routable(earlier.labels)))
    if (shadow !== undefined && effective.length > 0) {
      warnings.push({
        code: 'flavour-shadowed',
        flavour: flavour.name,
        message: `Flavour '${flavour.name}' never receives jobs: the earlier flavour '${shadow.name}' has all of its labels and wins every match.`,
      })
    }
  })
  return warnings
}

function isSubset(labels: readonly string[], of: readonly string[]): boolean {
  const set = new Set(of)
  return labels.every((label) => set.has(label))
}
