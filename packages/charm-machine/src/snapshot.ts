import { createHash } from 'node:crypto'
import * as v from 'valibot'
import { CharmFactsSchema } from './facts.js'
import type { CharmContext } from './context.js'
import type { CharmSnapshot } from './log.js'
import type { CharmMachine } from './machine.js'
import { issueLine } from './issues.js'

const nullableString = v.nullable(v.string())

const CharmContextSchema = v.strictObject({
  facts: v.nullable(CharmFactsSchema),
  now: nullableString,
  migrations: v.picklist(['pending', 'completed', 'failed']),
  configErrors: v.array(v.string()),
  failure: v.nullable(v.strictObject({ effect: v.string(), reason: v.string() })),
  ingressUrl: nullableString,
  pendingAction: v.nullable(
    v.strictObject({ name: v.string(), id: v.string(), params: v.record(v.string(), v.unknown()) }),
  ),
  lastAction: v.nullable(
    v.strictObject({
      name: v.string(),
      id: v.string(),
      outcome: v.picklist(['completed', 'failed']),
      message: v.string(),
    }),
  ),
  recovery: v.nullable(v.strictObject({ reason: v.string() })),
  removed: v.boolean(),
})

/** A persisted checkpoint: the state after entry `seq`, tagged with the machine version. */
export const SnapshotRecordSchema = v.strictObject({
  machineVersion: v.string(),
  seq: v.pipe(v.number(), v.integer(), v.minValue(0)),
  value: v.unknown(),
  context: CharmContextSchema,
})

/** See {@link SnapshotRecordSchema}. */
export interface SnapshotRecord {
  machineVersion: string
  seq: number
  value: unknown
  context: CharmContext
}

/**
 * A short hash of the machine's JSON definition. Snapshots carry it; a snapshot written by a
 * different machine is not trusted and the unit replays its log instead.
 */
export function machineVersion(machine: CharmMachine): string {
  const cached = versions.get(machine)
  if (cached !== undefined) return cached
  const definition = JSON.stringify(machine.definition)
  const version = `1-${createHash('sha256').update(definition).digest('hex').slice(0, 16)}`
  versions.set(machine, version)
  return version
}

const versions = new WeakMap<CharmMachine, string>()

/** Builds the record to persist for `snapshot` after entry `seq`. */
export function toSnapshotRecord(
  machine: CharmMachine,
  snapshot: CharmSnapshot,
  seq: number,
): SnapshotRecord {
  return {
    machineVersion: machineVersion(machine),
    seq,
    value: snapshot.value,
    context: snapshot.context,
  }
}

/**
 * Restores a snapshot from a stored record, refusing records of another machine version, with an
 * invalid context, or with a state value the machine does not know.
 *
 * @throws Error with a one-line reason.
 */
export function fromSnapshotRecord(
  machine: CharmMachine,
  stored: unknown,
): { snapshot: CharmSnapshot; seq: number } {
  const parsed = v.safeParse(SnapshotRecordSchema, stored)
  if (!parsed.success) throw new Error(`invalid snapshot: ${issueLine(parsed.issues)}`)
  const record = parsed.output
  const expected = machineVersion(machine)
  if (record.machineVersion !== expected) {
    throw new Error(`snapshot is for machine ${record.machineVersion}, this is ${expected}`)
  }
  try {
    const snapshot = machine.resolveState({
      value: record.value as CharmSnapshot['value'],
      context: record.context as CharmContext,
    })
    return { snapshot, seq: record.seq }
  } catch (error) {
    throw new Error(`snapshot state is unknown to this machine: ${(error as Error).message}`, {
      cause: error,
    })
  }
}
