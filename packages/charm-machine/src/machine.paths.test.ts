import { getMicrosteps } from 'xstate'
import type { AnyStateNode } from 'xstate'
import { getAdjacencyMap, getShortestPaths, toDirectedGraph } from 'xstate/graph'
import type { DirectedGraphNode } from 'xstate/graph'
import { describe, expect, it } from 'vitest'
import { done, factsWith, failed, juju, readyFacts, rel } from './__fixtures__/facts.js'
import type { CharmEvent, CharmSnapshot, MachineEvent } from './index.js'
import { applyEvent, charmMachine, initialSnapshot, lifecycleState, statusOf } from './index.js'

const unreachable = readyFacts({ containers: { web: { reachable: false } } })
const withCache = readyFacts()
withCache.integrations['cache'] = { kind: 'other', required: true, status: 'absent' }

/** Every kind of input the machine can see, including both outcomes of every effect. */
const EVENTS: CharmEvent[] = [
  juju('juju.install'),
  juju('juju.start'),
  juju('juju.config-changed'),
  juju('juju.config-changed', {}, unreachable),
  juju('juju.config-changed', {}, factsWith('peers', 'pending')),
  juju('juju.config-changed', {}, factsWith('db', 'absent')),
  juju('juju.config-changed', {}, withCache),
  juju('juju.config-changed', {}, factsWith('ingress', 'pending', true)),
  juju('juju.update-status'),
  juju('juju.update-status', {}, unreachable),
  juju('juju.leader-elected'),
  juju('juju.upgrade-charm'),
  juju('juju.pebble-ready', { container: 'web' }),
  juju('juju.secret-storage-created', rel('peers'), factsWith('peers', 'pending')),
  juju('juju.secret-storage-changed', rel('peers')),
  juju('juju.secret-storage-departed', rel('peers')),
  juju('juju.database-created', rel('db')),
  juju('juju.database-endpoints-changed', rel('db')),
  juju('juju.database-relation-broken', rel('db'), factsWith('db', 'absent')),
  juju('juju.ingress-ready', { ...rel('ingress'), url: 'http://example.com/app' }),
  juju('juju.ingress-revoked', rel('ingress')),
  ...(['created', 'joined', 'changed', 'departed', 'broken'] as const).map((suffix) =>
    juju(`juju.relation-${suffix}`, rel('logging')),
  ),
  ...(['changed', 'rotate', 'remove', 'expired'] as const).map((suffix) =>
    juju(`juju.secret-${suffix}`, { secretId: 'secret:x' }),
  ),
  juju('juju.hook', { hook: 'data-storage-attached' }),
  // The same hooks when a gate fails, which is when they re-evaluate an active unit.
  ...(
    [
      'install',
      'start',
      'leader-elected',
      'secret-rotate',
      'secret-remove',
      'secret-expired',
    ] as const
  ).map((name) =>
    juju(`juju.${name}`, name.startsWith('secret') ? { secretId: 'secret:x' } : {}, unreachable),
  ),
  juju('juju.hook', { hook: 'collect-metrics' }, unreachable),
  ...(['created', 'joined', 'changed', 'departed', 'broken'] as const).map((suffix) =>
    juju(`juju.relation-${suffix}`, rel('db')),
  ),
  juju('juju.action', { name: 'rotate-secret-key', id: '1', params: {} }),
  juju('juju.stop'),
  juju('juju.remove'),
  { type: 'charm.recovered', reason: 'test' },
  // Raised by action and secret-storage results; also sent directly so its edge is walked alone.
  { type: 'charm.reconcile' },
  done('validateConfig', { errors: [] }),
  done('validateConfig', { errors: ['invalid options: mode'] }),
  failed('validateConfig', 'crashed'),
  done('runMigrations'),
  failed('runMigrations', 'exit 1'),
  done('restartWorkload'),
  failed('restartWorkload', 'port in use'),
  done('stopWorkload'),
  failed('stopWorkload', 'unreachable'),
  done('initSecretStorage', { ready: true }),
  failed('initSecretStorage', 'not leader'),
  done('runAction', {}),
  done('runAction', { reconcile: true }),
  failed('runAction', 'boom'),
]

// Only what the guards read across steps; facts come with each event.
const serializeState = (snapshot: CharmSnapshot) =>
  JSON.stringify([snapshot.value, snapshot.context.migrations, snapshot.context.removed])

const activeIds = (snapshot: CharmSnapshot): string[] =>
  ((snapshot as unknown as { _nodes: AnyStateNode[] })._nodes ?? []).map((node) => node.id)

function expectedEdges(): Set<string> {
  const edges = new Set<string>()
  const visit = (node: DirectedGraphNode) => {
    for (const edge of node.edges)
      edges.add(`${edge.source.id} --${edge.label.text}--> ${edge.target.id}`)
    for (const transition of (node.stateNode as AnyStateNode).always ?? []) {
      for (const target of transition.target ?? []) edges.add(`${node.id} --always--> ${target.id}`)
    }
    node.children.forEach(visit)
  }
  visit(toDirectedGraph(charmMachine))
  return edges
}

// Effect results are XState's own done/error events, outside the machine's declared event types.
const options = { events: EVENTS as unknown as MachineEvent[], serializeState }
const adjacency = getAdjacencyMap(charmMachine, options)

describe('model-based paths (xstate/graph)', () => {
  it('covers every transition of the machine from some reachable state', () => {
    const expected = expectedEdges()
    const covered = new Set<string>()
    for (const { state } of Object.values(adjacency)) {
      for (const event of EVENTS) {
        let previous = state as CharmSnapshot
        getMicrosteps(charmMachine, previous, event as never).forEach(([next], index) => {
          const type = index === 0 ? event.type : 'always'
          const before = activeIds(previous)
          const after = activeIds(next as CharmSnapshot)
          for (const edge of expected) {
            const [source, rest] = edge.split(` --`) as [string, string]
            const [label, target] = rest.split('--> ') as [string, string]
            if (label === type && before.includes(source) && after.includes(target))
              covered.add(edge)
          }
          previous = next as CharmSnapshot
        })
      }
    }
    expect([...expected].filter((edge) => !covered.has(edge))).toEqual([])
    expect(expected.size).toBeGreaterThan(40)
  })

  it('reaches every atomic state of the lifecycle and tasks regions', () => {
    const reached = new Set(
      Object.values(adjacency).flatMap(({ state }) => activeIds(state as CharmSnapshot)),
    )
    const atomic: string[] = []
    const visit = (node: DirectedGraphNode) => {
      if (node.children.length === 0) atomic.push(node.id)
      node.children.forEach(visit)
    }
    visit(toDirectedGraph(charmMachine))
    // `evaluating` is transient: it is left within the same macrostep, so no snapshot rests in it.
    expect(atomic.filter((id) => !reached.has(id) && !id.endsWith('.evaluating'))).toEqual([])
  })

  const paths = getShortestPaths(charmMachine, options)

  it.each(paths.map((path) => [JSON.stringify(path.state.value), path] as const))(
    'replays the shortest path to %s with the pure transition function',
    (_name, path) => {
      let snapshot = initialSnapshot(charmMachine)
      for (const step of path.steps)
        snapshot = applyEvent(charmMachine, snapshot, step.event as CharmEvent).snapshot
      expect(snapshot.value).toEqual(path.state.value)
      const status = statusOf(snapshot.value, snapshot.context)
      const state = lifecycleState(snapshot.value)
      expect(status.name === 'unknown').toBe(state === 'idle')
    },
  )
})
