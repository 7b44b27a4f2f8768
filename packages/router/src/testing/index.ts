/**
 * @module @webhook-router/router/testing
 * Fixtures for testing code that embeds or talks to the router: realistic `workflow_job`
 * payloads and signed webhook requests. Kept out of the main entry so production bundles
 * never carry them.
 */
export { webhookRequestInit } from './webhook-request.js'
export type { WebhookRequestOptions } from './webhook-request.js'
export { workflowJobPayload } from './workflow-job-payload.js'
export type { WorkflowJobPayloadOptions } from './workflow-job-payload.js'
export { publishRequest, sampleQueuedJob } from './publish-request.js'
