/**
 * Test support: a faithful GitHub REST double for webhook deliveries, redelivery attempts and
 * the App installation-token exchange. Import from `@webhook-router/redelivery/testing`.
 *
 * @module
 */
export { createTestAppKey, checkAppJwt } from './app-jwt.js'
export type { TestAppKey } from './app-jwt.js'
export { startGitHubDouble } from './github-double.js'
export type {
  DoubleDelivery,
  DoubleFailure,
  DoubleHook,
  FailureTarget,
  GitHubDouble,
  GitHubDoubleOptions,
  NewDelivery,
  RecordedRequest,
} from './github-double.js'
