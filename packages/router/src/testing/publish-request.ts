import type { PublishRequest, QueuedJob } from '../queue/port.js'

/** A routed `large` job, as the router hands it to a queue adapter. */
export const sampleQueuedJob: QueuedJob = {
  labels: ['large', 'x64'],
  status: 'queued',
  url: 'https://api.github.com/repos/o/r/actions/jobs/1',
}

/**
 * A publish request for {@link sampleQueuedJob} with delivery `d-1` and job id 1, for testing
 * a `JobQueue` adapter; override any field.
 *
 * @example
 * await queue.publish(publishRequest({ deliveryId: 'd-2', jobId: 2 }))
 */
export function publishRequest(overrides: Partial<PublishRequest> = {}): PublishRequest {
  return { flavour: 'large', job: sampleQueuedJob, deliveryId: 'd-1', jobId: 1, ...overrides }
}
