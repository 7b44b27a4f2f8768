/**
 * Valibot schemas for what Pebble sends back (contract §1.3, §2, §5.1, §6.2, §7, §8, §9.1).
 * Foreign payloads use `looseObject`: newer Pebble versions add fields, and a client that
 * rejects them would break on upgrade.
 */
import * as v from 'valibot'

/** Response envelope of every JSON answer (§1.3). */
export const EnvelopeSchema = v.looseObject({
  type: v.picklist(['sync', 'async', 'error']),
  'status-code': v.number(),
  status: v.string(),
  change: v.optional(v.string()),
  result: v.optional(v.unknown()),
})

/** The `result` of an `error` envelope (§1.3). */
export const ErrorResultSchema = v.looseObject({
  message: v.string(),
  kind: v.optional(v.string()),
  value: v.optional(v.unknown()),
})

export const SystemInfoSchema = v.looseObject({
  version: v.string(),
  'boot-id': v.optional(v.string()),
  'http-address': v.optional(v.string()),
  'https-address': v.optional(v.string()),
})
/** `GET /v1/system-info` result (§2). */
export type SystemInfo = v.InferOutput<typeof SystemInfoSchema>

export const HealthSchema = v.looseObject({ healthy: v.boolean() })

const ProgressSchema = v.looseObject({ label: v.string(), done: v.number(), total: v.number() })

export const TaskSchema = v.looseObject({
  id: v.string(),
  kind: v.string(),
  summary: v.string(),
  status: v.string(),
  log: v.optional(v.array(v.string())),
  progress: v.optional(ProgressSchema),
  'spawn-time': v.optional(v.string()),
  'ready-time': v.optional(v.string()),
  data: v.optional(v.record(v.string(), v.unknown())),
})
/** A task of a change (§6.2). `data['exit-code']` holds an exec's exit code (§9.3). */
export type Task = v.InferOutput<typeof TaskSchema>

export const ChangeSchema = v.looseObject({
  id: v.string(),
  kind: v.string(),
  summary: v.string(),
  status: v.string(),
  tasks: v.optional(v.array(TaskSchema)),
  ready: v.boolean(),
  err: v.optional(v.string()),
  'spawn-time': v.optional(v.string()),
  'ready-time': v.optional(v.string()),
  data: v.optional(v.record(v.string(), v.unknown())),
})
/** Status of a change or task (§6.2). */
export type ChangeStatus =
  | 'Do'
  | 'Doing'
  | 'Done'
  | 'Abort'
  | 'Undo'
  | 'Undoing'
  | 'Undone'
  | 'Hold'
  | 'Error'
  | 'Wait'
  | (string & {})

/** A change: Pebble's unit of asynchronous work (§6.2). Failure is in `err`. */
export type Change = v.InferOutput<typeof ChangeSchema>

export const ServiceInfoSchema = v.looseObject({
  name: v.string(),
  startup: v.string(),
  current: v.string(),
  'current-since': v.optional(v.string()),
})
/** A service's `current` state (§5.1); other strings pass through from newer Pebbles. */
export type ServiceStatus = 'active' | 'inactive' | 'backoff' | 'error' | (string & {})

/** One service as `GET /v1/services` reports it (§5.1). */
export interface ServiceInfo {
  name: string
  startup: 'enabled' | 'disabled' | (string & {})
  current: ServiceStatus
  /** When `current` last changed; absent for a service never started. */
  'current-since'?: string | undefined
}

export const CheckInfoSchema = v.looseObject({
  name: v.string(),
  level: v.optional(v.string()),
  startup: v.optional(v.string()),
  status: v.string(),
  successes: v.optional(v.number()),
  failures: v.optional(v.number()),
  threshold: v.number(),
  'change-id': v.optional(v.string()),
  'prev-change-id': v.optional(v.string()),
})
/** A check's state (§7); other strings pass through from newer Pebbles. */
export type CheckStatus = 'up' | 'down' | 'inactive' | (string & {})

/** One check as `GET /v1/checks` reports it (§7). */
export interface CheckInfo {
  name: string
  level?: 'alive' | 'ready' | (string & {}) | undefined
  startup?: 'enabled' | 'disabled' | (string & {}) | undefined
  status: CheckStatus
  successes?: number | undefined
  /** Omitted by Pebble when 0. */
  failures?: number | undefined
  threshold: number
  /** The running perform-check or recover-check change; absent when inactive. */
  'change-id'?: string | undefined
  'prev-change-id'?: string | undefined
}

export const ExecResultSchema = v.looseObject({
  'task-id': v.string(),
  environment: v.optional(v.record(v.string(), v.string())),
  'working-dir': v.optional(v.string()),
})

export const FileInfoSchema = v.looseObject({
  path: v.string(),
  name: v.string(),
  type: v.string(),
  size: v.optional(v.number()),
  permissions: v.string(),
  'last-modified': v.string(),
  'user-id': v.optional(v.nullable(v.number())),
  user: v.optional(v.string()),
  'group-id': v.optional(v.nullable(v.number())),
  group: v.optional(v.string()),
})
/** One entry of `GET /v1/files?action=list` (§8). */
export type FileInfo = v.InferOutput<typeof FileInfoSchema>

export const FileResultSchema = v.looseObject({
  path: v.string(),
  error: v.optional(v.looseObject({ kind: v.optional(v.string()), message: v.string() })),
})

export const CheckRefreshSchema = v.looseObject({
  info: CheckInfoSchema,
  error: v.optional(v.string()),
})

export const CheckChangedSchema = v.looseObject({ changed: v.array(v.string()) })
