/**
 * Reads `RABBITMQ_CONNECT_STRING` (an AMQP 0-9-1 URI) far enough to check it and to log it
 * without its password.
 *
 * @module
 */

/** A URI the adapter cannot use. The message never contains the URI (it carries a password). */
export class AmqpUriError extends Error {
  override readonly name = 'AmqpUriError'
}

/**
 * Checks the scheme and host and returns the URI with its password replaced by `***`.
 *
 * @throws AmqpUriError when it is not an `amqp://` or `amqps://` URI with a host.
 * @example
 * redactAmqpUri('amqp://router:s3cret@rabbit:5672/%2F') // 'amqp://router:***@rabbit:5672/%2F'
 */
export function redactAmqpUri(uri: string): string {
  let url: URL
  try {
    url = new URL(uri)
  } catch {
    throw new AmqpUriError('Expected an amqp:// or amqps:// URI.')
  }
  if ((url.protocol !== 'amqp:' && url.protocol !== 'amqps:') || url.hostname === '') {
    throw new AmqpUriError('Expected an amqp:// or amqps:// URI with a host.')
  }
  if (url.password !== '') url.password = '***'
  return url.toString()
}
