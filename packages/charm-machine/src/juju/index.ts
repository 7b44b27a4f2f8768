export type { CharmDefinition, CharmRuntime, IntegrationSpec, RelationData } from './definition.js'
export { deriveEvent } from './derive-event.js'
export type { DispatchContext, RelationContext } from './env.js'
export { DispatchEnvError, readDispatchContext } from './env.js'
export {
  HookToolError,
  HookToolOutputError,
  ModelError,
  RelationNotFoundError,
  SecretNotFoundError,
  hookToolError,
  isRelationGone,
  isSecretUnavailable,
  whenRelationGone,
} from './errors.js'
export type { ObservedModel } from './facts-reader.js'
export { ingressUrlOf, readFacts } from './facts-reader.js'
export { fingerprintSecret, redactSensitiveConfig } from './sensitive-config.js'
export type {
  HookTools,
  JujuLogLevel,
  NetworkInfo,
  SecretInfo,
  SecretOptions,
  SettableStatus,
  ToolOutput,
  ToolRunner,
} from './hook-tools.js'
export { createHookTools, flattenActionResults, spawnToolRunner } from './hook-tools.js'
export type { HookOutcome, RunHookOptions } from './runtime.js'
export { runHook } from './runtime.js'
export type { StatusPublisherOptions } from './status-memo.js'
export { STATUS_MEMO_KEYS, STATUS_RESET_HOOKS, statusPublisher } from './status-memo.js'
export type {
  CheckInfo,
  ExecOptions,
  ExecResult,
  PebbleLayer,
  PebbleService,
  ServiceInfo,
  WorkloadClient,
} from './workload.js'
