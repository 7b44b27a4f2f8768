import {
  ConfigError,
  parseRouterConfig,
  routerConfigDefaults,
  type RouterConfig,
} from '@webhook-router/router'
import {
  parseStreamConfig,
  parseWorkloadConfig,
  routerEnvFor,
  type StreamConfig,
  WorkloadConfigError,
  type PublishMode,
  type WorkloadConfig,
} from '../config.js'
import type { CommandIo } from './types.js'

/**
 * Parses the workload settings, printing the one-line reason and returning `undefined` when they
 * are invalid (the caller exits 1).
 */
export function loadWorkloadConfig(io: CommandIo): WorkloadConfig | undefined {
  try {
    return parseWorkloadConfig(io.env)
  } catch (error) {
    if (error instanceof WorkloadConfigError) {
      io.stderr(error.message)
      return undefined
    }
    throw error
  }
}

/** The RabbitMQ stream settings, or `undefined` after printing why they are invalid. */
export function loadStreamConfig(io: CommandIo): StreamConfig | undefined {
  try {
    return parseStreamConfig(io.env)
  } catch (error) {
    if (error instanceof WorkloadConfigError) {
      io.stderr(error.message)
      return undefined
    }
    throw error
  }
}

/**
 * Parses the routing settings with the router's own parser, so the messages are exactly the
 * reference's `ConfigError` texts; prints the reason and returns `undefined` when invalid.
 */
export function loadRouterConfig(
  io: CommandIo,
  mode: PublishMode = 'kombu',
): RouterConfig | undefined {
  try {
    return parseRouterConfig(routerEnvFor(io.env, mode))
  } catch (error) {
    if (error instanceof ConfigError) {
      io.stderr(error.message)
      return undefined
    }
    throw error
  }
}

/**
 * The dedup retention `serve` would use, for commands that open the queue without needing a
 * valid routing table (`migrate`, `queue`): the configured value, else the router's default.
 */
export function dedupRetentionMs(env: CommandIo['env']): number {
  try {
    return parseRouterConfig(env).dedupRetentionMs
  } catch {
    return routerConfigDefaults.dedupRetentionHours * 60 * 60 * 1000
  }
}
