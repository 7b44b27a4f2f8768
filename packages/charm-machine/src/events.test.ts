import { describe, expect, it } from 'vitest'
import { juju, readyFacts } from './__fixtures__/facts.js'
import { parseJujuEvent } from './index.js'

describe('parseJujuEvent', () => {
  it('accepts a Juju event with its facts and time', () => {
    const result = parseJujuEvent(juju('juju.config-changed'))
    expect(result).toEqual({ success: true, event: juju('juju.config-changed') })
  })

  it.each([
    [
      { type: 'juju.teleport', now: '2026-01-01T00:00:00.000Z', facts: readyFacts() },
      /^type: Invalid type/,
    ],
    [{ type: 'juju.install', now: '2026-01-01T00:00:00.000Z' }, /^facts: Invalid key/],
    [{ ...juju('juju.install'), now: 'soon' }, /^now: Invalid timestamp/],
    [{ ...juju('juju.install'), extra: 1 }, /^extra: Invalid key/],
    [
      juju('juju.ingress-ready', { endpoint: 'ingress', relationId: 1, url: 'not a url' }),
      /^url: Invalid URL/,
    ],
    [
      juju('juju.relation-changed', { endpoint: 'db', relationId: -1 }),
      /^relationId: Invalid value/,
    ],
    [juju('juju.action', { name: '', id: '1', params: {} }), /^name: Invalid length/],
    [
      juju('juju.install', {}, { ...readyFacts(), leader: 'yes' } as never),
      /^facts\.leader: Invalid type/,
    ],
    [
      juju('juju.install', {}, {
        ...readyFacts(),
        integrations: { db: { kind: 'queue', required: true, status: 'ready' } },
      } as never),
      /^facts\.integrations\.db\.kind: Invalid type/,
    ],
    ['juju.install', /^Invalid type: Expected Object/],
  ])('rejects malformed input with a one-line reason (%#)', (input, reason) => {
    const result = parseJujuEvent(input)
    expect(result.success).toBe(false)
    if (!result.success) {
      expect(result.message).toMatch(reason)
      expect(result.message).not.toContain('\n')
    }
  })
})
