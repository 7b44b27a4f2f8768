/**
 * Finds failed `workflow_job` webhook deliveries of a GitHub hook and asks GitHub to redeliver
 * them: the library behind `webhook-router redeliver` and the server's automatic recovery.
 *
 * @module
 */
export {
  DEFAULT_GITHUB_API_URL,
  GITHUB_AUTH_ENV,
  parseGitHubApiUrl,
  parseGitHubAuthEnv,
} from './auth.js'
export type { GitHubAppAuth, GitHubAuth, GitHubTokenAuth } from './auth.js'
export { createGitHubClient } from './client.js'
export type { GitHubClient, GitHubClientOptions } from './client.js'
export { RedeliveryConfigError, RedeliveryError } from './errors.js'
export type { RedeliveryErrorKind } from './errors.js'
export { describeHook, hookPath, parseHookAddress } from './hook-address.js'
export type { HookAddress } from './hook-address.js'
export { redeliverFailedDeliveries } from './redeliver.js'
export type {
  DeliverySummary,
  FailedRedelivery,
  RedeliverOptions,
  RedeliveryProgress,
  RedeliveryReport,
  SkippedDelivery,
  SkipReason,
} from './redeliver.js'
export { createRedeliveryScheduler } from './scheduler.js'
export type {
  RedeliveryScheduler,
  RedeliverySchedulerOptions,
  SchedulerLogger,
  SchedulerMetrics,
  SchedulerTimers,
} from './scheduler.js'
