export type {
  CharmContext,
  InitSecretStorageInput,
  InitSecretStorageOutput,
  MigrationStatus,
  RunActionInput,
  RunActionOutput,
  ValidateConfigInput,
  ValidateConfigOutput,
  WorkloadEffectInput,
} from './context.js'
export { INITIAL_CONTEXT } from './context.js'
export type { CharmEffects, EffectContext } from './effects.js'
export { provideEffects, runEffect } from './effects.js'
export type {
  CharmEvent,
  EffectName,
  EffectResult,
  JujuEvent,
  JujuEventType,
  RecoveredEvent,
} from './events.js'
export {
  EFFECT_NAMES,
  EffectResultSchema,
  JujuEventSchema,
  PLAIN_HOOK_EVENTS,
  parseJujuEvent,
} from './events.js'
export type {
  CharmFacts,
  ConfigValue,
  ContainerFact,
  IntegrationFact,
  IntegrationKind,
  IntegrationStatus,
} from './facts.js'
export {
  CharmFactsSchema,
  ContainerFactSchema,
  failingChecks,
  missingIntegrations,
  stoppedServices,
  unreachableContainers,
} from './facts.js'
export { FileStore } from './file-store.js'
export type { FileStoreOptions } from './file-store.js'
export type { CharmSnapshot, EffectRequest, LogEntry } from './log.js'
export {
  LogEntrySchema,
  applyEvent,
  entryForEvent,
  eventOfEntry,
  initialSnapshot,
  parseLogLine,
  replayLog,
} from './log.js'
export type { CharmMachine } from './machine.js'
export type { MachineEvent } from './setup.js'
export { charmMachine } from './machine.js'
export { charmSetup } from './setup.js'
export type { SnapshotRecord } from './snapshot.js'
export { fromSnapshotRecord, machineVersion, toSnapshotRecord } from './snapshot.js'
export type { UnitStatus } from './status.js'
export { lifecycleState, statusOf } from './status.js'
export type { CharmStore, HookMemo, StoredLog, StoredUnit } from './store.js'
export { MemoryStore } from './store.js'
export type { DispatchOptions, DispatchResult, DispatchStep, Unit } from './unit.js'
export { InvalidEventError, openUnit } from './unit.js'
export type { InspectionRecord } from './inspect.js'
export { inspectLog, toInspectionRecord } from './inspect.js'
export { toMermaid } from './mermaid.js'
