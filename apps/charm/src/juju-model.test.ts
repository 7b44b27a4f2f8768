import type { ToolOutput } from '@webhook-router/charm-machine/juju'
import { describe, expect, it } from 'vitest'
import { networkGetOver } from './juju-model.js'

describe('networkGetOver', () => {
  const answer = (output: ToolOutput) => {
    const calls: string[][] = []
    const get = networkGetOver(async (argv) => {
      calls.push([...argv])
      return output
    })
    return { calls, get }
  }

  it('returns the first bind address of the binding on the relation', async () => {
    const stdout = JSON.stringify({
      'bind-addresses': [{ addresses: [{ value: '10.1.2.3', cidr: '10.1.0.0/16' }] }],
    })
    const { calls, get } = answer({ code: 0, stdout, stderr: '' })
    expect(await get('ingress', 'ingress:3')).toBe('10.1.2.3')
    expect(calls).toEqual([['network-get', '--format=json', '-r', 'ingress:3', 'ingress']])
  })

  it('returns nothing when Juju has no address or the tool fails', async () => {
    expect(await answer({ code: 0, stdout: '{}', stderr: '' }).get('ingress')).toBeUndefined()
    expect(
      await answer({ code: 1, stdout: '', stderr: 'ERROR no network' }).get('ingress'),
    ).toBeUndefined()
  })
})
