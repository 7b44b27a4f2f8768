/** Paths of the real counterparts installed by `provision.mjs install`. */
export interface ToolPaths {
  /** Pebble v1.32.1, the real workload supervisor. */
  readonly pebble: string
  /** Our FerretDB v1.24.2 runner: `-listen HOST:PORT -data DIR`, prints `listening mongodb://…/`. */
  readonly ferretdb: string
  /** The venv's Python with the consumer's pinned kombu, pymongo and pydantic. */
  readonly python: string
}
/** The installed tools; throws one line naming the install command when one is missing. */
export function toolPaths(): ToolPaths
/** The cache folder the tools are installed into. */
export function cacheRoot(): string
