export interface ToolResult {
  code: number
  stdout: string
  stderr: string
}
export function applyToolCall(
  stateFile: string,
  tool: string,
  args: readonly string[],
  env: Record<string, string | undefined>,
  stdin: string,
): ToolResult
export function startFakeAgent(options: {
  stateFile: string
  socketPath: string
}): Promise<{ close(): Promise<void> }>
export function buildHookToolClient(dir: string): string | undefined
export function installHookTools(binDir: string, client: string | undefined): 'native' | 'node'
