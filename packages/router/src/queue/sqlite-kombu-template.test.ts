import { describe, expect, it } from 'vitest'
import { buildKombuPayload, serialiseJob } from './kombu-envelope.js'
import { createKombuPayloadBuilder } from './sqlite-kombu-template.js'

const job = (url: string, labels: string[] = ['large', 'x64']) =>
  serialiseJob({ labels, status: 'queued', url })
const jobUrl = 'https://api.github.com/repos/o/r/actions/jobs/1'

describe('createKombuPayloadBuilder', () => {
  const cases: [string, string, string][] = [
    ['large', job(jobUrl), '8c1b6f0e-6a43-4c1e-9d0c-3f1f3f1f3f1f'],
    ['small', job(`${jobUrl}?q=ü`, ['ünïcödé', 'x64']), 'tag-1'],
    ['flavour with spaces', job(jobUrl, []), 'fixed-tag'],
    ['ärm64', job(jobUrl), 'tag-2'],
    ['quote"flavour\\', job(jobUrl), 'tag-3'],
    ['large', job(jobUrl), 'tag "with" quotes'],
    ['large', job(jobUrl), 'tâg'],
    ['webhook-router-delivery-tag-marker', job(jobUrl), 'tag-4'],
    ['d2ViaG9vay1yb3V0ZXIgYm9keSBtYXJrZXI=', job(jobUrl), 'tag-5'],
  ]

  it.each(cases)('builds exactly what buildKombuPayload builds for %j', (flavour, body, tag) => {
    const build = createKombuPayloadBuilder()
    expect(build(flavour, body, tag)).toBe(buildKombuPayload(flavour, body, tag))
    // The second message of a flavour comes from the cached template.
    expect(build(flavour, body, tag)).toBe(buildKombuPayload(flavour, body, tag))
  })

  it('refuses what buildKombuPayload refuses', () => {
    const build = createKombuPayloadBuilder()
    expect(() => build('large', '__END__', 'tag')).toThrow(/control body/)
    expect(() => build('', job(jobUrl), 'tag')).toThrow(/non-empty flavour/)
    expect(() => build('large', job(jobUrl), '')).toThrow(/non-empty flavour and delivery tag/)
  })
})
