import type { ToolOutput } from '@webhook-router/charm-machine/juju'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { shellQuote, shellToolRunner } from './shell-tool-runner.js'

const unused = async (): Promise<ToolOutput> => ({ code: 99, stdout: '', stderr: 'fallback' })

// Test workers do not exit between files, so the runners' scratch dirs live under one root.
const tmpRoot = mkdtempSync(join(tmpdir(), 'shell-runner-test-'))
afterAll(() => rmSync(tmpRoot, { recursive: true, force: true }))

describe('shellToolRunner', () => {
  it('runs a command and returns its exit code, stdout and stderr', async () => {
    const run = shellToolRunner(process.env, unused, { tmpRoot })
    expect(await run(['sh', '-c', 'echo out; echo err >&2; exit 3'])).toEqual({
      code: 3,
      stdout: 'out\n',
      stderr: 'err\n',
    })
  })

  it('passes arguments through untouched, quotes and all', async () => {
    const run = shellToolRunner(process.env, unused, { tmpRoot })
    const word = `it's "$HOME" \`x\` ; rm -rf / \\ end`
    expect((await run(['printf', '%s', word])).stdout).toBe(word)
  })

  it('feeds stdin when given and /dev/null otherwise', async () => {
    const run = shellToolRunner(process.env, unused, { tmpRoot })
    expect((await run(['cat'], '{"a":"1"}')).stdout).toBe('{"a":"1"}')
    expect((await run(['cat'])).stdout).toBe('')
  })

  it('runs concurrent calls one at a time, each with its own output', async () => {
    const run = shellToolRunner(process.env, unused, { tmpRoot })
    const outputs = await Promise.all(['a', 'b', 'c'].map((word) => run(['echo', word])))
    expect(outputs.map((output) => output.stdout)).toEqual(['a\n', 'b\n', 'c\n'])
  })

  it('reports a missing tool as the shell does, exit 127', async () => {
    const run = shellToolRunner(process.env, unused, { tmpRoot })
    expect((await run(['no-such-hook-tool'])).code).toBe(127)
  })

  it('falls back to the other runner once the shell is gone', async () => {
    const run = shellToolRunner(process.env, unused, { tmpRoot })
    await run(['sh', '-c', 'kill -9 $PPID'])
    expect(await run(['echo', 'x'])).toEqual({ code: 99, stdout: '', stderr: 'fallback' })
  })

  it('quotes single quotes for sh', () => {
    expect(shellQuote("a'b")).toBe(`'a'\\''b'`)
  })
})
