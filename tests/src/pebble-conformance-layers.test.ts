/**
 * Conformance, part 1: the envelope, system-info, connection errors, layers and the plan, each
 * behaviour asserted the same way against real Pebble v1.32.1 and against our double.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  APIError,
  ConnectionError,
  type Layer,
  type PebbleClient,
} from '@webhook-router/pebble-client'
import { PEBBLE_TARGETS, type RunningPebble } from './pebble-targets.js'

const service = (command: string, extra: Record<string, unknown> = {}): Layer => ({
  services: { svc: { override: 'replace', command, ...extra } },
})

describe.each(PEBBLE_TARGETS)('$name: envelope, layers and plan', (target) => {
  let pebble: RunningPebble
  let client: PebbleClient

  beforeEach(async () => {
    pebble = await target.start()
    client = pebble.client
  })
  afterEach(async () => {
    await pebble.close()
  })

  const addRaw = (body: Record<string, unknown>) =>
    client.request('POST', '/v1/layers', {
      body: { action: 'add', label: 'base', format: 'yaml', ...body },
    })

  it('answers system-info with version v1.32.1 and a boot id', async () => {
    expect(await client.canConnect()).toBe(true)
    const info = await client.systemInfo()
    expect(info.version).toBe('v1.32.1')
    expect(info['boot-id']).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('answers an unknown endpoint 404 and a wrong verb 405, without a kind', async () => {
    await expect(client.request('GET', '/v1/nope')).rejects.toMatchObject({
      statusCode: 404,
      status: 'Not Found',
      message: 'invalid API endpoint requested',
      kind: undefined,
    })
    await expect(client.request('POST', '/v1/system-info')).rejects.toMatchObject({
      statusCode: 405,
      status: 'Method Not Allowed',
      message: 'method "POST" not allowed',
    })
  })

  it('runs every request through the hooks wrapped around the client', async () => {
    const seen: string[] = []
    client.hook.wrap('request', async (next, request) => {
      seen.push(`${request.method} ${request.path}`)
      return next(request)
    })
    await client.systemInfo()
    await client.getServices(['a', 'b'])
    expect(seen).toEqual(['GET /v1/system-info', 'GET /v1/services?names=a%2Cb'])
  })

  it("answers a body that is not JSON 400, in each endpoint's words", async () => {
    const post = async (path: string) => {
      const raw = await client.rawRequest({
        method: 'POST',
        path,
        headers: { 'Content-Type': 'application/json' },
        body: '{not json',
      })
      const envelope = JSON.parse(raw.body.toString('utf8')) as { result: { message: string } }
      return `${raw.statusCode} ${envelope.result.message.split(':')[0]}`
    }
    expect(await post('/v1/layers')).toBe('400 cannot decode request body')
    expect(await post('/v1/exec')).toBe('400 cannot decode request body')
    expect(await post('/v1/signals')).toBe('400 cannot decode request body')
    expect(await post('/v1/files')).toBe('400 cannot decode request body')
    expect(await post('/v1/services')).toBe('400 cannot decode data from request body')
    expect(await post('/v1/checks')).toBe('400 cannot decode data from request body')
    expect(await post('/v1/checks/refresh')).toBe('400 cannot decode data from request body')
    // An unknown change is looked up before its body is read.
    expect(await post('/v1/changes/99')).toBe('404 cannot find change with id "99"')
  })

  it('has no /v1/warnings any more', async () => {
    await expect(client.request('GET', '/v1/warnings')).rejects.toMatchObject({ statusCode: 404 })
  })

  it('throws ConnectionError, and canConnect is false, once the daemon is gone', async () => {
    await pebble.close()
    expect(await client.canConnect()).toBe(false)
    await expect(client.systemInfo()).rejects.toBeInstanceOf(ConnectionError)
    await expect(client.getServices()).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('starts with an empty plan', async () => {
    expect(await client.getPlanYaml()).toBe('{}\n')
    expect(await client.getPlan()).toEqual({})
  })

  it('renders the plan as YAML: sorted names, struct field order, 4-space indent', async () => {
    await client.addLayer('base', {
      summary: 'ignored in the plan',
      services: {
        zed: { override: 'replace', command: 'sleep 1', startup: 'enabled' },
        alpha: {
          override: 'merge',
          command: 'sleep 2',
          environment: { B: '2', A: '1' },
          after: ['zed'],
        },
      },
      checks: { up: { override: 'replace', tcp: { port: 1 } } },
    })
    expect(await client.getPlanYaml()).toBe(
      [
        'services:',
        '    alpha:',
        '        override: merge',
        '        command: sleep 2',
        '        after:',
        '            - zed',
        '        environment:',
        '            A: "1"',
        '            B: "2"',
        '    zed:',
        '        startup: enabled',
        '        override: replace',
        '        command: sleep 1',
        'checks:',
        '    up:',
        '        override: replace',
        '        threshold: 3',
        '        tcp:',
        '            port: 1',
        '',
      ].join('\n'),
    )
  })

  it('answers 400 for a plan format other than yaml', async () => {
    await expect(client.request('GET', '/v1/plan')).rejects.toMatchObject({
      statusCode: 400,
      message: 'invalid format ""',
    })
  })

  it('adds layers on top: replace wins wholesale, merge merges field by field', async () => {
    await client.addLayer('base', service('sleep 10', { environment: { A: '1', B: '1' } }))
    await client.addLayer('merge', {
      services: { svc: { override: 'merge', environment: { B: '2' }, after: [] } },
    })
    expect((await client.getPlan()).services?.['svc']).toEqual({
      override: 'replace',
      command: 'sleep 10',
      environment: { A: '1', B: '2' },
    })
    await client.addLayer('replace', service('sleep 20'))
    expect((await client.getPlan()).services?.['svc']).toEqual({
      override: 'replace',
      command: 'sleep 20',
    })
  })

  it('appends after/before/requires lists when merging', async () => {
    await client.addLayer('base', {
      services: {
        a: { override: 'replace', command: 'sleep 1' },
        b: { override: 'replace', command: 'sleep 1' },
        c: { override: 'replace', command: 'sleep 1', after: ['a'] },
      },
    })
    await client.addLayer('more', { services: { c: { override: 'merge', after: ['b'] } } })
    expect((await client.getPlan()).services?.['c']?.after).toEqual(['a', 'b'])
  })

  it('combines into the same-label layer, which keeps its place under later layers', async () => {
    await client.addLayer('base', service('sleep 1', { environment: { X: 'base' } }))
    await client.addLayer('top', {
      services: { svc: { override: 'merge', environment: { X: 'top' } } },
    })
    await client.addLayer('base', service('sleep 2', { environment: { X: 'combined' } }), {
      combine: true,
    })
    const svc = (await client.getPlan()).services?.['svc']
    expect(svc?.command).toBe('sleep 2')
    expect(svc?.environment).toEqual({ X: 'top' })
  })

  it('combine with a new label simply appends the layer', async () => {
    await client.addLayer('fresh', service('sleep 3'), { combine: true })
    expect((await client.getPlan()).services?.['svc']?.command).toBe('sleep 3')
  })

  it('answers 400 for a duplicate label without combine', async () => {
    await client.addLayer('base', service('sleep 1'))
    await expect(client.addLayer('base', service('sleep 2'))).rejects.toMatchObject({
      statusCode: 400,
      status: 'Bad Request',
      message: 'layer "base" already exists',
    })
  })

  it('answers 400 for a missing or an invalid override', async () => {
    await expect(
      client.addLayer('base', 'services:\n  svc:\n    command: sleep 1\n'),
    ).rejects.toMatchObject({
      statusCode: 400,
      message: 'layer "base" must define "override" for service "svc"',
    })
    await expect(
      client.addLayer('base', 'checks:\n  c:\n    override: sideways\n    tcp:\n      port: 1\n'),
    ).rejects.toMatchObject({
      statusCode: 400,
      message: 'layer "base" has invalid "override" value for check "c"',
    })
  })

  it('answers 400 when the combined plan has a service without a command', async () => {
    await expect(
      client.addLayer('base', { services: { svc: { override: 'merge' } } }),
    ).rejects.toMatchObject({
      statusCode: 400,
      message: 'plan must define "command" for service "svc"',
    })
    expect(await client.getPlanYaml()).toBe('{}\n')
  })

  it('answers 400 for unknown sections and unknown service keys', async () => {
    await expect(client.addLayer('base', 'servics: {}\n')).rejects.toMatchObject({
      statusCode: 400,
      message: 'cannot parse layer YAML: cannot parse layer "base": unknown section "servics"',
    })
    const error = await client
      .addLayer('base', 'services:\n  svc:\n    override: replace\n    command: x\n    comand: y\n')
      .catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(APIError)
    expect((error as APIError).message).toMatch(/^cannot parse layer YAML: .*comand/s)
  })

  it('answers 400 for the reserved label prefix pebble-', async () => {
    await expect(client.addLayer('pebble-x', service('sleep 1'))).rejects.toMatchObject({
      statusCode: 400,
      message: 'cannot parse layer YAML: cannot use reserved label prefix "pebble-"',
    })
  })

  it('answers 400 for a dependency on a missing service and for a before/after loop', async () => {
    await expect(
      client.addLayer('base', service('sleep 1', { requires: ['ghost'] })),
    ).rejects.toMatchObject({ statusCode: 400 })
    await expect(
      client.addLayer('loop', {
        services: {
          a: { override: 'replace', command: 'sleep 1', after: ['b'] },
          b: { override: 'replace', command: 'sleep 1', after: ['a'] },
        },
      }),
    ).rejects.toMatchObject({ statusCode: 400, message: 'services in before/after loop: a, b' })
  })

  it('answers 400 for a bad request body: action, label, format', async () => {
    await expect(addRaw({ action: 'remove', layer: '{}' })).rejects.toMatchObject({
      statusCode: 400,
      message: 'invalid action "remove"',
    })
    await expect(addRaw({ label: '', layer: '{}' })).rejects.toMatchObject({
      message: 'label must be set',
    })
    await expect(addRaw({ format: 'json', layer: '{}' })).rejects.toMatchObject({
      message: 'invalid format "json"',
    })
  })
})
