import type { RouterConfig } from '../config/router-config.js'
import { normaliseLabels } from './normalise.js'

/**
 * A precomputed index from label to the set of flavours that have it, as a bitset over the
 * flavours in config order. Routing a job is one AND per label, whatever the label counts, instead
 * of the reference's table of every label combination (2^n entries per flavour).
 */
export interface RoutingTable {
  readonly flavours: readonly string[]
  readonly defaultFlavour: string
  readonly selfHostedLabels: readonly string[]
  /** label → bitset of flavour indexes (bit i of word i >>> 5). */
  readonly flavoursByLabel: ReadonlyMap<string, Uint32Array>
}

/** A job that has a flavour: by `match` (a flavour has all its labels) or by `default` (no labels). */
export interface RoutedDecision {
  readonly routed: true
  readonly flavour: string
  /** The job's labels after lowercasing and stripping the self-hosted ones. */
  readonly labels: readonly string[]
  readonly rule: 'default' | 'match'
}

/** The flavour that came nearest, and what it lacks. */
export interface ClosestFlavour {
  readonly flavour: string
  readonly missingLabels: readonly string[]
}

/** A job no flavour can take, and why. */
export interface UnroutedDecision {
  readonly routed: false
  readonly labels: readonly string[]
  /** One line naming the labels no flavour has, or saying no single flavour has them all. */
  readonly reason: string
  /** `unknown-label` when some label is in no flavour; `no-single-flavour` otherwise. */
  readonly code: 'unknown-label' | 'no-single-flavour'
  /** Labels that no flavour has (empty for `no-single-flavour`). */
  readonly unknownLabels: readonly string[]
  /** The first flavour missing the fewest labels, when any flavour has at least one of them. */
  readonly closest?: ClosestFlavour | undefined
}

export type RouteDecision = RoutedDecision | UnroutedDecision

/**
 * Builds the routing index for a config. Cheap (linear in the total number of labels), so build
 * it once at start and on every config change.
 *
 * @example
 * ```ts
 * const table = createRoutingTable(config)
 * routeLabels(table, ['self-hosted', 'ARM64']) // { routed: true, flavour: 'large', ... }
 * ```
 */
export function createRoutingTable(
  config: Pick<RouterConfig, 'flavours' | 'defaultFlavour' | 'selfHostedLabels'>,
): RoutingTable {
  const words = Math.max(1, Math.ceil(config.flavours.length / 32))
  const flavoursByLabel = new Map<string, Uint32Array>()
  config.flavours.forEach((flavour, index) => {
    for (const label of flavour.labels) {
      const key = label.toLowerCase()
      let bits = flavoursByLabel.get(key)
      if (bits === undefined) {
        bits = new Uint32Array(words)
        flavoursByLabel.set(key, bits)
      }
      bits[index >>> 5] = (bits[index >>> 5] ?? 0) | (1 << (index & 31))
    }
  })
  return {
    flavours: config.flavours.map((flavour) => flavour.name),
    defaultFlavour: config.defaultFlavour,
    selfHostedLabels: config.selfHostedLabels.map((label) => label.toLowerCase()),
    flavoursByLabel,
  }
}

/**
 * Routes a job's `runs-on` labels: lowercase, strip the self-hosted labels, then the default
 * flavour if none is left, else the first flavour in config order that has all of them.
 *
 * @example
 * ```ts
 * routeLabels(table, ['self-hosted', 'linux']) // { routed: true, flavour: 'small', rule: 'default', labels: [] }
 * routeLabels(table, ['noble'])                // { routed: false, code: 'unknown-label', unknownLabels: ['noble'], ... }
 * ```
 */
export function routeLabels(table: RoutingTable, labels: Iterable<string>): RouteDecision {
  const normalised = normaliseLabels(labels, table.selfHostedLabels)
  if (normalised.length === 0) {
    return { routed: true, flavour: table.defaultFlavour, labels: normalised, rule: 'default' }
  }
  const unknownLabels = normalised.filter((label) => !table.flavoursByLabel.has(label))
  if (unknownLabels.length === 0) {
    const index = firstCommonFlavour(table, normalised)
    const flavour = index === undefined ? undefined : table.flavours[index]
    if (flavour !== undefined) {
      return { routed: true, flavour, labels: normalised, rule: 'match' }
    }
  }
  const closest = closestFlavour(table, normalised)
  const reason =
    unknownLabels.length > 0
      ? `No flavour has the label${unknownLabels.length > 1 ? 's' : ''} ${quoteList(unknownLabels)}.`
      : `No single flavour has all of the labels ${quoteList(normalised)}.`
  return {
    routed: false,
    labels: normalised,
    reason,
    code: unknownLabels.length > 0 ? 'unknown-label' : 'no-single-flavour',
    unknownLabels,
    ...(closest === undefined ? {} : { closest }),
  }
}

function firstCommonFlavour(table: RoutingTable, labels: readonly string[]): number | undefined {
  const first = table.flavoursByLabel.get(labels[0] as string)
  if (first === undefined) return undefined
  const common = Uint32Array.from(first)
  for (const label of labels.slice(1)) {
    const bits = table.flavoursByLabel.get(label)
    if (bits === undefined) return undefined
    for (let word = 0; word < common.length; word++) {
      common[word] = (common[word] ?? 0) & (bits[word] ?? 0)
    }
  }
  for (let word = 0; word < common.length; word++) {
    const bits = common[word] ?? 0
    // Lowest set bit = earliest flavour in config order.
    if (bits !== 0) return word * 32 + (31 - Math.clz32(bits & -bits))
  }
  return undefined
}

function closestFlavour(
  table: RoutingTable,
  labels: readonly string[],
): ClosestFlavour | undefined {
  // Count, per flavour, how many of the labels it has, walking only the set bits.
  const hits = new Uint32Array(table.flavours.length)
  for (const label of labels) {
    const bits = table.flavoursByLabel.get(label)
    bits?.forEach((word, wordIndex) => {
      for (let rest = word; rest !== 0; rest &= rest - 1) {
        const index = wordIndex * 32 + (31 - Math.clz32(rest & -rest))
        hits[index] = (hits[index] ?? 0) + 1
      }
    })
  }
  let best = -1
  hits.forEach((count, index) => {
    if (count > 0 && (best === -1 || count > (hits[best] ?? 0))) best = index
  })
  if (best === -1) return undefined
  const word = best >>> 5
  const bit = 1 << (best & 31)
  const missingLabels = labels.filter(
    (label) => ((table.flavoursByLabel.get(label)?.[word] ?? 0) & bit) === 0,
  )
  return { flavour: table.flavours[best] as string, missingLabels }
}

const shownLabels = 10
const shownLabelChars = 64

/**
 * Quotes labels for a one-line message: JSON escaping keeps it on one line, and long lists or
 * labels are cut so a hostile payload cannot make the answer or the log line huge.
 */
export function quoteList(labels: readonly string[]): string {
  const shown = labels.slice(0, shownLabels).map((label) => {
    const cut = label.length > shownLabelChars ? `${label.slice(0, shownLabelChars)}…` : label
    return JSON.stringify(cut)
  })
  const rest = labels.length - shown.length
  return rest > 0 ? `${shown.join(', ')} and ${rest} more` : shown.join(', ')
}
