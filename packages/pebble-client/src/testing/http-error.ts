/** An error the double answers as an `error` envelope (contract §1.3–§1.4). */
export class HttpError extends Error {
  override readonly name = 'HttpError'
  constructor(
    readonly statusCode: number,
    message: string,
    readonly kind?: string,
  ) {
    super(message)
  }
}
