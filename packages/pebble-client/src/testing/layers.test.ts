import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type PebbleClient } from '../index.js'
import { startPebbleDouble, type PebbleDouble } from './index.js'

let double: PebbleDouble
let client: PebbleClient

beforeEach(async () => {
  double = await startPebbleDouble()
  client = double.client()
})
afterEach(async () => {
  await double.close()
})

const postLayer = (body: unknown) => client.request('POST', '/v1/layers', { body })
const layerBody = (layer: string, extra: Record<string, unknown> = {}) => ({
  action: 'add',
  label: 'base',
  format: 'yaml',
  layer,
  ...extra,
})

describe('layers (§3) and the plan (§4)', () => {
  it('§3 answers a sync true and §4 renders the plan with 4-space indent in struct order', async () => {
    const response = await postLayer(
      layerBody(
        'services:\n  svc1:\n    override: replace\n    command: foo\n    startup: enabled\n',
      ),
    )
    expect(response).toEqual({ type: 'sync', statusCode: 200, result: true })
    expect(await client.getPlanYaml()).toBe(
      'services:\n    svc1:\n        startup: enabled\n        override: replace\n        command: foo\n',
    )
  })

  it('§4 plan with an unknown or missing format is 400 invalid format', async () => {
    await expect(client.request('GET', '/v1/plan')).rejects.toMatchObject({
      statusCode: 400,
      message: 'invalid format ""',
    })
    await expect(
      client.request('GET', '/v1/plan', { query: { format: 'json' } }),
    ).rejects.toMatchObject({
      message: 'invalid format "json"',
    })
  })

  it('§3 validates in order: body, action, label, format, YAML', async () => {
    const raw = await client.rawRequest({
      method: 'POST',
      path: '/v1/layers',
      headers: { 'Content-Type': 'application/json' },
      body: '{not json',
    })
    expect(raw.statusCode).toBe(400)
    expect(JSON.parse(raw.body.toString()).result.message).toMatch(/^cannot decode request body: /)
    await expect(postLayer(layerBody('', { action: 'remove' }))).rejects.toMatchObject({
      message: 'invalid action "remove"',
    })
    await expect(postLayer(layerBody('', { label: '' }))).rejects.toMatchObject({
      message: 'label must be set',
    })
    await expect(postLayer(layerBody('', { format: 'json' }))).rejects.toMatchObject({
      message: 'invalid format "json"',
    })
    await expect(postLayer(layerBody('services: [1, 2'))).rejects.toMatchObject({
      statusCode: 400,
      message: expect.stringMatching(/^cannot parse layer YAML: /),
    })
  })

  it('§3.2 rejects unknown sections and unknown service keys', async () => {
    await expect(postLayer(layerBody('servics: {}\n'))).rejects.toMatchObject({
      message: 'cannot parse layer YAML: cannot parse layer "base": unknown section "servics"',
    })
    await expect(
      postLayer(
        layerBody('services:\n  a:\n    override: replace\n    command: x\n    comand: y\n'),
      ),
    ).rejects.toMatchObject({ statusCode: 400, message: expect.stringContaining('comand') })
  })

  it('§3.1 a duplicate label without combine is 400 layer already exists', async () => {
    await client.addLayer('base', { services: { a: { override: 'replace', command: 'x' } } })
    await expect(
      client.addLayer('base', { services: { a: { override: 'replace', command: 'y' } } }),
    ).rejects.toMatchObject({
      statusCode: 400,
      message: 'layer "base" already exists',
      kind: undefined,
    })
  })

  it('§3.3 a missing override is 400 naming the layer and the service, check or log target', async () => {
    await expect(client.addLayer('l1', 'services:\n  a:\n    command: x\n')).rejects.toMatchObject({
      statusCode: 400,
      message: 'layer "l1" must define "override" for service "a"',
    })
    await expect(
      client.addLayer('l1', 'checks:\n  c:\n    tcp: {port: 1}\n'),
    ).rejects.toMatchObject({
      message: 'layer "l1" must define "override" for check "c"',
    })
    await expect(
      client.addLayer('l1', 'services:\n  a:\n    override: squash\n    command: x\n'),
    ).rejects.toMatchObject({
      message: 'layer "l1" has invalid "override" value for service "a"',
    })
  })

  it('§3.3 a plan service without a command is 400 and leaves the plan untouched', async () => {
    await expect(
      client.addLayer('l1', { services: { a: { override: 'merge', summary: 'no command' } } }),
    ).rejects.toMatchObject({
      statusCode: 400,
      message: 'plan must define "command" for service "a"',
    })
    expect(await client.getPlanYaml()).toBe('{}\n')
  })

  it('§3.3 rejects before/after loops', async () => {
    await expect(
      client.addLayer('l1', {
        services: {
          a: { override: 'replace', command: 'x', after: ['b'] },
          b: { override: 'replace', command: 'x', after: ['a'] },
        },
      }),
    ).rejects.toMatchObject({ message: 'services in before/after loop: a, b' })
  })

  it('§3.1 labels with the reserved pebble- prefix are rejected', async () => {
    await expect(client.addLayer('pebble-x', { services: {} })).rejects.toMatchObject({
      message: 'cannot parse layer YAML: cannot use reserved label prefix "pebble-"',
    })
  })

  it('§3.3 merge overlays scalars, appends lists and merges maps; replace swaps the whole entry', async () => {
    await client.addLayer('base', {
      services: {
        m: {
          override: 'replace',
          command: 'one',
          after: ['r'],
          environment: { A: '1', B: '1' },
          summary: 'first',
        },
        r: { override: 'replace', command: 'old', environment: { OLD: '1' } },
      },
    })
    await client.addLayer('top', {
      services: {
        m: { override: 'merge', command: 'two', after: ['r'], environment: { B: '2' } },
        r: { override: 'replace', command: 'new' },
      },
    })
    expect((await client.getPlan()).services).toEqual({
      m: {
        override: 'replace',
        summary: 'first',
        command: 'two',
        after: ['r', 'r'],
        environment: { A: '1', B: '2' },
      },
      r: { override: 'replace', command: 'new' },
    })
  })

  it('§3.1 combine merges into the same-label layer in its original position', async () => {
    await client.addLayer('base', { services: { s: { override: 'replace', command: 'base' } } })
    await client.addLayer('top', { services: { s: { override: 'merge', command: 'top' } } })
    await client.addLayer(
      'base',
      { services: { s: { override: 'merge', command: 'combined' } } },
      { combine: true },
    )
    // "top" is still above "base", so its command wins.
    expect((await client.getPlan()).services?.['s']?.command).toBe('top')
  })

  it('§3.1 combine with a new label simply appends the layer', async () => {
    await client.addLayer(
      'fresh',
      { services: { s: { override: 'replace', command: 'x' } } },
      { combine: true },
    )
    expect((await client.getPlan()).services?.['s']?.command).toBe('x')
  })

  it('§4 check threshold appears defaulted to 3 in the plan', async () => {
    await client.addLayer('base', { checks: { c: { override: 'replace', tcp: { port: 1 } } } })
    expect(await client.getPlanYaml()).toBe(
      'checks:\n    c:\n        override: replace\n        threshold: 3\n        tcp:\n            port: 1\n',
    )
  })

  it('§3.2 a check needs exactly one of http, tcp or exec', async () => {
    await expect(
      client.addLayer('base', { checks: { c: { override: 'replace', level: 'alive' } } }),
    ).rejects.toMatchObject({
      statusCode: 400,
      message: 'plan must specify one of "http", "tcp", or "exec" for check "c"',
    })
  })

  it('§3.2 a log target needs type and location in the plan', async () => {
    await expect(
      client.addLayer('base', { 'log-targets': { t: { override: 'replace', type: 'loki' } } }),
    ).rejects.toMatchObject({
      message: 'plan must define "location" for log target "t"',
    })
  })

  it('§3.2 accepts numeric environment values the way Go YAML decodes them into strings', async () => {
    await client.addLayer(
      'base',
      'services:\n  s:\n    override: replace\n    command: x\n    environment:\n      PORT: 8080\n',
    )
    expect((await client.getPlan()).services?.['s']?.environment).toEqual({ PORT: '8080' })
  })
})
