import { readFileSync, readdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { describe, expect, it } from 'vitest'
import { charmMachine, toMermaid } from './index.js'

interface JisonParser {
  parser: { yy: unknown }
  parse(text: string): unknown
}

/**
 * Mermaid's own stateDiagram-v2 grammar. Mermaid's renderer needs a DOM, so the test runs the
 * grammar with a no-op database: it proves the text parses, not that the layout looks right.
 */
async function mermaidStateGrammar(): Promise<(text: string) => void> {
  const require = createRequire(import.meta.url)
  const chunks = join(dirname(require.resolve('mermaid/package.json')), 'dist/chunks/mermaid.core')
  const file = readdirSync(chunks).find(
    (name) =>
      name.endsWith('.mjs') &&
      /export \{[^}]*stateDiagram_default[^}]*StateDB/s.test(
        readFileSync(join(chunks, name), 'utf8'),
      ),
  )
  if (file === undefined) throw new Error('mermaid state diagram grammar not found')
  const module = (await import(pathToFileURL(join(chunks, file)).href)) as {
    stateDiagram_default: JisonParser
    StateDB: new (version: number) => object
  }
  const methods = Object.getOwnPropertyNames(module.StateDB.prototype).concat(
    Object.keys(new module.StateDB(2)),
  )
  const yy: Record<string, unknown> = Object.fromEntries(
    methods.map((name) => [name, () => undefined]),
  )
  yy['trimColon'] = (text: string) => text
  return (text) => {
    module.stateDiagram_default.parser.yy = yy
    module.stateDiagram_default.parse(text)
  }
}

describe('toMermaid', () => {
  it('produces text that Mermaid parses as a state diagram', async () => {
    const parse = await mermaidStateGrammar()
    expect(() => parse(toMermaid(charmMachine))).not.toThrow()
  })

  it('would be caught by the grammar check if it emitted broken syntax', async () => {
    const parse = await mermaidStateGrammar()
    expect(() => parse(toMermaid(charmMachine).replace('[*] -->', '[*] --> :'))).toThrow(
      /Parse error/,
    )
  })

  it('declares every state of the machine', () => {
    const diagram = toMermaid(charmMachine)
    for (const state of [
      'waitingPebble',
      'waitingSecret',
      'waitingDatabase',
      'waitingIngress',
      'blocked',
      'migrationFailed',
      'workloadFailed',
      'active',
      'runningAction',
    ]) {
      expect(diagram).toContain(`state "${state}"`)
    }
  })

  it('labels effect outcomes and guards on the edges', () => {
    const diagram = toMermaid(charmMachine)
    expect(diagram).toContain(
      'charm_lifecycle_reconciling --> charm_lifecycle_migrationFailed : runMigrations failed',
    )
    expect(diagram).toContain(
      'charm_lifecycle_evaluating --> charm_lifecycle_waitingPebble : always [containersUnreachable]',
    )
    expect(diagram).toContain(
      'charm_tasks_idle --> charm_tasks_initialisingSecretStorage : juju.secret-storage-created [isLeader]',
    )
  })

  it('writes the status of each state into its box', () => {
    expect(toMermaid(charmMachine)).toContain(
      'charm_lifecycle_waitingPebble : waiting, Waiting for pebble ready',
    )
  })

  it('separates the parallel regions', () => {
    expect(toMermaid(charmMachine)).toMatch(/\n {4}--\n {4}state "tasks"/)
  })
})
