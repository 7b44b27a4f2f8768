/**
 * The `rabbitmq` interface, as the rabbitmq-k8s charm provides it and as paas-charm (the
 * framework of Canonical's webhook-gateway charm) requires it: the requirer's leader writes
 * `username` and `vhost` to its application databag; the provider answers with `hostname` and
 * `password`, in its application databag (rabbitmq-k8s) or in each unit's (the machine charm
 * rabbitmq-server). The port is AMQP's 5672. The router's `RABBITMQ_CONNECT_STRING` is built
 * from them, as paas-charm builds it for the gateway.
 *
 * @module
 */
import * as v from 'valibot'

/** The endpoint name paas-charm uses for this interface. */
export const RABBITMQ_ENDPOINT = 'rabbitmq'
export const RABBITMQ_INTERFACE = 'rabbitmq'
/** The AMQP port both providers listen on; they publish no port. */
export const RABBITMQ_PORT = 5672

/** The vhost the charm asks for, as paas-charm does: the broker's default. */
export const RABBITMQ_VHOST = '/'

/** What the leader writes to its application databag on `rabbitmq-relation-joined`. */
export function rabbitmqRequest(username: string, vhost: string): Record<string, string> {
  return { username, vhost }
}

const Credentials = v.looseObject({
  hostname: v.optional(v.string()),
  password: v.optional(v.string()),
})

/** The connect string, or why there is none yet (a waiting status reason). */
export type RabbitmqConnection =
  | { readonly ok: true; readonly uri: string; readonly hostname: string }
  | { readonly ok: false; readonly reason: string }

/**
 * Builds `RABBITMQ_CONNECT_STRING` from the provider's data: the application databag first
 * (rabbitmq-k8s), else the first unit databag with both fields (rabbitmq-server, whose units
 * share one password). The vhost is percent-encoded whole, so `/` becomes `%2F`.
 *
 * @example
 * ```ts
 * rabbitmqConnection({ hostname: 'rabbitmq-k8s.model.svc', password: 'pw' }, [], 'router', '/')
 * // { ok: true, uri: 'amqp://router:pw@rabbitmq-k8s.model.svc:5672/%2F', ... }
 * ```
 */
export function rabbitmqConnection(
  appData: unknown,
  unitsData: readonly unknown[],
  username: string,
  vhost: string,
): RabbitmqConnection {
  const found = [appData, ...unitsData]
    .map((bag) => v.safeParse(Credentials, bag ?? {}))
    .map((parsed) => (parsed.success ? parsed.output : {}))
    .find((bag) => nonEmpty(bag.hostname) !== undefined && nonEmpty(bag.password) !== undefined)
  if (found === undefined) {
    return { ok: false, reason: 'the RabbitMQ provider has not sent a hostname and password yet' }
  }
  const hostname = (found.hostname as string).trim()
  const credentials = `${encodeURIComponent(username)}:${encodeURIComponent(found.password as string)}`
  const host = hostname.includes(':') && !hostname.startsWith('[') ? `[${hostname}]` : hostname
  const uri = `amqp://${credentials}@${host}:${RABBITMQ_PORT}/${encodeURIComponent(vhost)}`
  return { ok: true, uri, hostname }
}

/** The URI with the password replaced, safe for logs and status messages. */
export function redactRabbitmqUri(text: string): string {
  return text.replace(/(amqps?:\/\/[^:@/\s]*:)[^@/\s]*@/g, '$1***@')
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value
}
