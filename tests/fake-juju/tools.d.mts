export const TOOL_NAMES: string[]
export function runTool(
  state: unknown,
  tool: string,
  args: readonly string[],
  env: Record<string, unknown>,
  stdin: string,
): { stdout: string; stderr: string; code: number }
