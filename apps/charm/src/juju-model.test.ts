import type { ToolOutput } from '@webhook-router/charm-machine/juju'
import { ModelError } from '@webhook-router/charm-machine/juju'
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

  it('returns nothing when Juju has no address or the relation is gone', async () => {
    expect(await answer({ code: 0, stdout: '{}', stderr: '' }).get('ingress')).toBeUndefined()
    const gone = 'ERROR invalid value "ingress:3" for option -r: relation not found\n'
    expect(
      await answer({ code: 2, stdout: '', stderr: gone }).get('ingress', 'ingress:3'),
    ).toBeUndefined()
  })

  it('rejects with the typed hook-tool error when network-get fails otherwise', async () => {
    const lost = answer({ code: 1, stdout: '', stderr: 'ERROR connection is shut down\n' })
    await expect(lost.get('ingress', 'ingress:3')).rejects.toThrow(
      new ModelError('network-get', 1, 'ERROR connection is shut down\n'),
    )
  })
})
