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

  it('gives concurrent calls each their own output', async () => {
    const run = shellToolRunner(process.env, unused, { tmpRoot })
    const words = ['a', 'b', 'c', 'd', 'e']
    const outputs = await Promise.all(words.map((word) => run(['echo', word])))
    expect(outputs.map((output) => output.stdout)).toEqual(words.map((word) => `${word}\n`))
  })

  it('runs independent calls at the same time', async () => {
    const run = shellToolRunner(process.env, unused, { tmpRoot, concurrency: 2 })
    const flag = join(mkdtempSync(join(tmpRoot, 'flag-')), 'set')
    // The first call waits for the second: on one shell they would never both finish.
    const waiter = run(['sh', '-c', `while [ ! -f '${flag}' ]; do sleep 0.01; done; echo seen`])
    const setter = run(['touch', flag])
    expect((await Promise.all([waiter, setter])).map((output) => output.code)).toEqual([0, 0])
    expect((await waiter).stdout).toBe('seen\n')
  })

  it('runs no more calls at once than its limit', async () => {
    const run = shellToolRunner(process.env, unused, { tmpRoot, concurrency: 2 })
    const running = mkdtempSync(join(tmpRoot, 'running-'))
    // Each call counts the others running beside it; with the limit kept, never more than one.
    const count = `n=$(ls '${running}' | wc -l); touch '${running}'/$$; sleep 0.05; rm '${running}'/$$; echo $n`
    const outputs = await Promise.all(Array.from({ length: 6 }, () => run(['sh', '-c', count])))
    expect(outputs.every((output) => output.code === 0)).toBe(true)
    expect(Math.max(...outputs.map((output) => Number(output.stdout)))).toBeLessThanOrEqual(1)
  })

  it('reports a missing tool as the shell does, exit 127', async () => {
    const run = shellToolRunner(process.env, unused, { tmpRoot })
    expect((await run(['no-such-hook-tool'])).code).toBe(127)
  })

  it('falls back to the other runner once the shell is gone', async () => {
    const run = shellToolRunner(process.env, unused, { tmpRoot })
    // The tool's parent is the call's background job; the job's parent is the shell.
    await run(['sh', '-c', "kill -9 $(cut -d' ' -f4 /proc/$PPID/stat)"])
    expect(await run(['echo', 'x'])).toEqual({ code: 99, stdout: '', stderr: 'fallback' })
  })

  it('quotes single quotes for sh', () => {
    expect(shellQuote("a'b")).toBe(`'a'\\''b'`)
  })
})
