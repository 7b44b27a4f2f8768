/** A running MongoDB wire double; see `mongo-double.mjs`. */
export interface MongoDouble {
  readonly port: number
  /** `mongodb://127.0.0.1:<port>/<database>`, no credentials. */
  uri(database?: string): string
  /** The stored documents of one collection (live array). */
  collection(database: string, name: string): Record<string, unknown>[]
  /** Every command name received, in order. */
  readonly commands: string[]
  close(): Promise<void>
}
export function startMongoDouble(): Promise<MongoDouble>
