import type { CharmConfig } from './config.js'

/** The Pebble service that runs the router, and the label of the charm's layer. */
export const SERVICE_NAME = 'webhook-router'
export const LAYER_LABEL = 'webhook-router'
/** The ready check on the router's `/health`, which also proves the queue is writable. */
export const READY_CHECK_NAME = 'webhook-router-ready'
/** The workload's HTTP port; ingress points here. */
export const APP_PORT = 8000
/** The workload's Prometheus port. */
export const APP_METRICS_PORT = 9102
/**
 * Where the stream's dedup records live in the workload container: an absolute path, so that
 * `serve` (run by Pebble) and `migrate` (exec'd) open the same file whatever their directory.
 */
export const STREAM_DEDUP_PATH = '/var/lib/webhook-router/stream-dedup.sqlite'
/** The command the rock provides on PATH. */
export const WORKLOAD_COMMAND = 'webhook-router'

/** Everything the workload environment is built from, gathered at dispatch time. */
export interface WorkloadInputs {
  readonly config: CharmConfig
  /** The kombu queues' database; set when the publish mode writes kombu queues. */
  readonly mongodbUri?: string
  /** The gateway stream's broker; set when the publish mode publishes the stream. */
  readonly rabbitmqUri?: string
  readonly secretKey: string
  readonly baseUrl: string
  /** Content of the `redelivery-github-auth` secret when automatic redelivery is on. */
  readonly redeliveryAuth?: Readonly<Record<string, string>>
  /** `JUJU_CHARM_HTTP_PROXY` and friends from the hook environment. */
  readonly proxy?: { readonly http?: string; readonly https?: string; readonly noProxy?: string }
}

/**
 * The workload's environment. Only options that are set produce a variable, so the
 * workload's own defaults apply to the rest. In the `kombu` mode it is exactly the environment
 * of the charm before RabbitMQ (no `APP_PUBLISH_MODE`, which the workload then derives as
 * `kombu`), so an upgraded charm does not restart the workload for it.
 *
 * @example
 * ```ts
 * workloadEnvironment(inputs).APP_PORT // '8000'
 * ```
 */
export function workloadEnvironment(inputs: WorkloadInputs): Record<string, string> {
  const { config } = inputs
  const env: Record<string, string> = {}
  if (config.flavours !== undefined) env['APP_FLAVOURS'] = config.flavours
  if (config.defaultFlavour !== undefined) env['APP_DEFAULT_FLAVOUR'] = config.defaultFlavour
  Object.assign(env, {
    APP_DEFAULT_SELF_HOSTED_LABELS: config.defaultSelfHostedLabels,
    APP_LOG_LEVEL: config.logLevel,
    APP_PORT: String(APP_PORT),
    APP_METRICS_PORT: String(APP_METRICS_PORT),
    APP_BASE_URL: inputs.baseUrl,
    APP_SECRET_KEY: inputs.secretKey,
  })
  if (inputs.mongodbUri !== undefined) env['MONGODB_DB_CONNECT_STRING'] = inputs.mongodbUri
  if (config.publishMode !== 'kombu') {
    env['APP_PUBLISH_MODE'] = config.publishMode
    if (inputs.rabbitmqUri !== undefined) env['RABBITMQ_CONNECT_STRING'] = inputs.rabbitmqUri
    env['APP_STREAM_DEDUP_PATH'] = STREAM_DEDUP_PATH
  }
  if (config.webhookSecret !== undefined) env['APP_WEBHOOK_SECRET'] = config.webhookSecret
  if (config.webhookSecretPrevious !== undefined) {
    env['APP_WEBHOOK_SECRET_PREVIOUS'] = config.webhookSecretPrevious
  }
  if (config.githubApiUrl !== undefined) env['GITHUB_API_URL'] = config.githubApiUrl
  const redelivery = config.redelivery
  if (redelivery !== undefined && inputs.redeliveryAuth !== undefined) {
    env['APP_REDELIVERY_INTERVAL'] = String(redelivery.intervalSeconds)
    env['APP_REDELIVERY_GITHUB_PATH'] = redelivery.githubPath
    env['APP_REDELIVERY_WEBHOOK_ID'] = String(redelivery.webhookId)
    Object.assign(env, githubAuthEnvironment(inputs.redeliveryAuth))
  }
  const proxy = inputs.proxy ?? {}
  if (proxy.http) env['HTTP_PROXY'] = env['http_proxy'] = proxy.http
  if (proxy.https) env['HTTPS_PROXY'] = env['https_proxy'] = proxy.https
  if (proxy.noProxy) env['NO_PROXY'] = env['no_proxy'] = proxy.noProxy
  return env
}

/**
 * Maps GitHub credentials (secret fields `token`, or `client-id`, `installation-id` and
 * `private-key`) to the variables `webhook-router` reads. Empty values are dropped.
 */
export function githubAuthEnvironment(
  auth: Readonly<Record<string, string | undefined>>,
): Record<string, string> {
  const env: Record<string, string> = {}
  const set = (name: string, value: string | undefined): void => {
    if (value !== undefined && value !== '') env[name] = value
  }
  set('GITHUB_TOKEN', auth['token'])
  set('GITHUB_APP_CLIENT_ID', auth['client-id'])
  set('GITHUB_APP_INSTALLATION_ID', auth['installation-id'])
  set('GITHUB_APP_PRIVATE_KEY', auth['private-key'])
  return env
}

/** Why a redelivery auth secret cannot be used, or `undefined` when it can. */
export function githubAuthProblem(auth: Readonly<Record<string, string>>): string | undefined {
  const app = ['client-id', 'installation-id', 'private-key'].filter((key) => auth[key])
  if (auth['token'] && app.length > 0) return 'holds both a token and GitHub App fields'
  if (auth['token']) return undefined
  if (app.length === 3) return undefined
  return "needs a 'token' field, or 'client-id', 'installation-id' and 'private-key'"
}

/** A Pebble layer, as the charm writes it (a subset of the layer schema). */
export type WorkloadLayer = {
  readonly summary: string
  readonly description: string
  readonly services: Record<string, WorkloadService>
  readonly checks: Record<string, WorkloadCheck>
}

/** The service entry of {@link WorkloadLayer}. */
export type WorkloadService = {
  readonly override: 'replace'
  readonly summary: string
  readonly command: string
  readonly startup: 'enabled'
  readonly environment: Record<string, string>
}

/** The check entry of {@link WorkloadLayer}. */
export type WorkloadCheck = {
  readonly override: 'replace'
  readonly level: 'ready'
  readonly period: string
  readonly threshold: number
  readonly http: { readonly url: string }
}

/**
 * The charm's Pebble layer: `webhook-router serve` with its environment, and a ready check
 * on `/health`. `override: replace` makes the layer the whole truth about the service.
 */
export function workloadLayer(environment: Record<string, string>): WorkloadLayer {
  return {
    summary: 'webhook-router layer',
    description: 'Managed by the github-runner-webhook-router charm.',
    services: {
      [SERVICE_NAME]: {
        override: 'replace',
        summary: 'GitHub workflow_job webhook router',
        command: `${WORKLOAD_COMMAND} serve`,
        startup: 'enabled',
        environment,
      },
    },
    checks: {
      [READY_CHECK_NAME]: {
        override: 'replace',
        level: 'ready',
        period: '10s',
        threshold: 3,
        http: { url: `http://localhost:${APP_PORT}/health` },
      },
    },
  }
}

/**
 * Whether the plan already runs exactly this layer's service and check, so that nothing needs
 * re-applying or replanning. `plan` is the parsed `GET /v1/plan` document.
 */
export function planHasLayer(plan: unknown, layer: WorkloadLayer): boolean {
  if (!isRecord(plan)) return false
  const services = isRecord(plan['services']) ? plan['services'] : {}
  const checks = isRecord(plan['checks']) ? plan['checks'] : {}
  const wanted = layer.services[SERVICE_NAME]
  const have = services[SERVICE_NAME]
  if (!wanted || !isRecord(have)) return false
  if (have['command'] !== wanted.command || have['startup'] !== wanted.startup) return false
  if (!sameRecord(isRecord(have['environment']) ? have['environment'] : {}, wanted.environment)) {
    return false
  }
  const wantedCheck = layer.checks[READY_CHECK_NAME]
  const haveCheck = checks[READY_CHECK_NAME]
  if (!wantedCheck || !isRecord(haveCheck)) return false
  const haveHttp = isRecord(haveCheck['http']) ? haveCheck['http'] : {}
  return haveCheck['level'] === wantedCheck.level && haveHttp['url'] === wantedCheck.http.url
}

function sameRecord(a: Record<string, unknown>, b: Record<string, string>): boolean {
  const keys = Object.keys(b)
  return Object.keys(a).length === keys.length && keys.every((key) => a[key] === b[key])
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
