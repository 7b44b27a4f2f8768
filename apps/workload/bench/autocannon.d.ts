// The subset of autocannon 8's API the benchmark uses (the package ships no types).
declare module 'autocannon' {
  export interface RequestData {
    method?: string
    path?: string
    headers?: Record<string, string>
    body?: string | Buffer
  }
  export interface RequestSpec extends RequestData {
    setupRequest?: (request: RequestData, context: Record<string, unknown>) => RequestData
  }
  export interface Options {
    url: string
    connections?: number
    duration?: number
    overallRate?: number
    timeout?: number
    requests?: RequestSpec[]
  }
  export interface Histogram {
    average: number
    mean: number
    p50: number
    p90: number
    p99: number
    max: number
    total: number
  }
  export interface Result {
    requests: Histogram
    latency: Histogram
    errors: number
    timeouts: number
    non2xx: number
    '2xx': number
    duration: number
  }
  export interface Instance {
    on(event: 'tick', listener: (data: { counter: number; bytes: number }) => void): void
    on(event: 'done', listener: (result: Result) => void): void
    stop(): void
  }
  function autocannon(
    options: Options,
    callback: (error: Error | null, result: Result) => void,
  ): Instance
  export default autocannon
}
