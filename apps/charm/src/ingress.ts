import * as v from 'valibot'

/** The ingress endpoint (traefik `ingress` interface, v2 per-app). */
export const INGRESS_ENDPOINT = 'ingress'

/** What the requirer asks the ingress provider for. */
export interface IngressRequest {
  readonly model: string
  readonly app: string
  readonly port: number
  readonly stripPrefix: boolean
}

/**
 * The requirer's application databag for ingress v2. Every value is JSON-encoded (strings keep
 * their quotes) and defaults are left out, as the traefik library writes them.
 *
 * @example
 * ```ts
 * ingressAppData({ model: 'prod', app: 'router', port: 8000, stripPrefix: true })
 * // { model: '"prod"', name: '"router"', port: '8000', 'strip-prefix': 'true' }
 * ```
 */
export function ingressAppData(request: IngressRequest): Record<string, string> {
  return {
    model: JSON.stringify(request.model),
    name: JSON.stringify(request.app),
    port: JSON.stringify(request.port),
    ...(request.stripPrefix && { 'strip-prefix': 'true' }),
  }
}

/** The requirer's unit databag: the unit's in-cluster FQDN and, when known, its address. */
export function ingressUnitData(host: string, ip?: string): Record<string, string> {
  return { host: JSON.stringify(host), ...(ip !== undefined && { ip: JSON.stringify(ip) }) }
}

/** The unit's stable Kubernetes DNS name, `<app>-<n>.<app>-endpoints.<model>.svc.cluster.local`. */
export function unitFqdn(unitName: string, modelName: string): string {
  const app = unitName.split('/')[0] ?? unitName
  return `${unitName.replace('/', '-')}.${app}-endpoints.${modelName}.svc.cluster.local`
}

/**
 * The changes that turn `current` into `desired` for `relation-set`: keys to write, and keys no
 * longer wanted set to `""` (which deletes them). The traefik library clears the bag before
 * each write; this keeps the same end state without rewriting identical data on every hook.
 */
export function databagChanges(
  current: Readonly<Record<string, string>>,
  desired: Readonly<Record<string, string>>,
): Record<string, string> {
  const changes: Record<string, string> = {}
  for (const [key, value] of Object.entries(desired)) {
    if (current[key] !== value) changes[key] = value
  }
  for (const key of Object.keys(current)) {
    if (!(key in desired)) changes[key] = ''
  }
  return changes
}

const IngressAnswer = v.object({ url: v.pipe(v.string(), v.url()) })

/**
 * The URL the ingress provider published in its application databag (`ingress` is a JSON
 * string holding `{"url": ...}`), or `undefined` when there is none or it is malformed.
 */
export function ingressUrl(providerAppData: Readonly<Record<string, string>>): string | undefined {
  const raw = providerAppData['ingress']
  if (raw === undefined) return undefined
  let decoded: unknown
  try {
    decoded = JSON.parse(raw)
  } catch {
    return undefined
  }
  const parsed = v.safeParse(IngressAnswer, decoded)
  if (!parsed.success) return undefined
  const url = new URL(parsed.output.url)
  return url.protocol === 'http:' || url.protocol === 'https:' ? url.toString() : undefined
}
