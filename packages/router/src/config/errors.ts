/**
 * A configuration value the router cannot start with. The message is one line meant for the
 * operator; for the reference's own variables it is word for word the reference's message.
 *
 * @example
 * ```ts
 * try {
 *   parseRouterConfig(process.env)
 * } catch (error) {
 *   if (error instanceof ConfigError) exitWith(error.message)
 *   throw error
 * }
 * ```
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError'
  constructor(message: string, options?: ErrorOptions) {
    super(message, options)
  }
}
