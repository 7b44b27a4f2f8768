import { parseDocument } from 'yaml'
import { ConfigError } from './errors.js'
import { pythonRepr } from './python-repr.js'

/** One runner pool: its name (the kombu queue and the consumer's Juju application name) and labels. */
export interface FlavourConfig {
  readonly name: string
  /** Lowercased, without duplicates, in the order first written. */
  readonly labels: readonly string[]
}

const invalidFormat = "Invalid 'FLAVOURS' config. Invalid format."

/**
 * Parses the `FLAVOURS` YAML: a list of one-key maps `flavour: [label, ...]`, kept in order
 * because the first flavour that has all of a job's labels wins.
 *
 * @throws ConfigError with the reference's messages, checked in the reference's order.
 * @example
 * ```ts
 * parseFlavours('- small: [x64, small]\n- large: [arm64, large]')
 * // [{ name: 'small', labels: ['x64', 'small'] }, { name: 'large', labels: ['arm64', 'large'] }]
 * ```
 */
export function parseFlavours(text: string | undefined): FlavourConfig[] {
  if (text === undefined || text === '') throw new ConfigError('FLAVOURS config is not set!')
  const items = loadYaml(text)
  if (!Array.isArray(items)) {
    throw new ConfigError(
      "Invalid 'FLAVOURS' config. Expected a YAML file with a list at the top level.",
    )
  }
  const flavours: FlavourConfig[] = []
  const seen = new Set<string>()
  for (const item of items) {
    const flavour = toFlavour(item)
    if (seen.has(flavour.name)) {
      throw new ConfigError(`Invalid 'FLAVOURS' config. Duplicate flavour '${flavour.name}' found.`)
    }
    seen.add(flavour.name)
    flavours.push(flavour)
  }
  return flavours
}

function loadYaml(text: string): unknown {
  try {
    const document = parseDocument(text, { prettyErrors: false })
    if (document.errors.length > 0) throw document.errors[0]
    // toJS enforces the alias budget, so a billion-laughs document fails here, not later.
    return document.toJS({ maxAliasCount: 100 })
  } catch (error) {
    throw new ConfigError("Invalid 'FLAVOURS' config. Invalid yaml.", { cause: error })
  }
}

function toFlavour(item: unknown): FlavourConfig {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) {
    throw new ConfigError(invalidFormat)
  }
  const entries = item instanceof Map ? [...item.entries()] : Object.entries(item)
  if (entries.length !== 1) {
    throw new ConfigError(
      `Invalid 'FLAVOURS' config. Expected a single key-value pair: ${pythonRepr(item)}`,
    )
  }
  const [name, labels] = entries[0] as [unknown, unknown]
  if (typeof name !== 'string' || name === '' || !Array.isArray(labels)) {
    throw new ConfigError(invalidFormat)
  }
  if (!labels.every((label): label is string => typeof label === 'string')) {
    throw new ConfigError(invalidFormat)
  }
  return { name, labels: uniqueLowercase(labels) }
}

/** Lowercases and drops repeats, keeping first-seen order so logs and lint read like the config. */
export function uniqueLowercase(labels: Iterable<string>): string[] {
  return [...new Set(Array.from(labels, (label) => label.toLowerCase()))]
}
