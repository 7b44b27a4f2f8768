import type { AnyStateMachine, AnyStateNode } from 'xstate'
import { toDirectedGraph } from 'xstate/graph'
import type { DirectedGraphNode } from 'xstate/graph'

const mermaidId = (id: string): string => id.replace(/[^A-Za-z0-9]/g, '_')

const eventLabel = (type: string): string => {
  const effect = /^xstate\.(done|error)\.actor\.(.+)$/.exec(type)
  if (effect !== null) return `${effect[2]} ${effect[1] === 'done' ? 'done' : 'failed'}`
  return type === '' ? 'always' : type
}

const guardLabel = (guard: unknown): string => {
  if (guard === undefined) return ''
  const name = typeof guard === 'string' ? guard : (guard as { type?: unknown }).type
  return typeof name === 'string' ? ` [${name}]` : ' [guard]'
}

const parentOf = (id: string): string => id.slice(0, Math.max(0, id.lastIndexOf('.')))

/** The ancestor of `id` (or `id` itself) that is a direct child of `ancestor`. */
const childOn = (ancestor: string, id: string): string =>
  `${ancestor}.${id.slice(ancestor.length + 1).split('.')[0] ?? ''}`

function commonAncestor(a: string, b: string): string {
  const left = parentOf(a).split('.')
  const right = parentOf(b).split('.')
  const shared: string[] = []
  for (
    let index = 0;
    index < Math.min(left.length, right.length) && left[index] === right[index];
    index++
  ) {
    shared.push(left[index] ?? '')
  }
  return shared.join('.')
}

interface Edge {
  from: string
  to: string
  labels: string[]
}

/**
 * Renders a machine as a Mermaid `stateDiagram-v2`, generated from `toDirectedGraph` of
 * `xstate/graph`. Parallel regions are separated by `--`; a transition a region takes from any of
 * its states starts at an "any state" node; an edge crossing composite states is drawn between
 * their ancestors that share a parent, because Mermaid cannot link into another composite.
 *
 * @example
 * ```ts
 * console.log(toMermaid(charmMachine))
 * ```
 */
export function toMermaid(machine: AnyStateMachine): string {
  const graph = toDirectedGraph(machine)
  const edges = new Map<string, Map<string, Edge>>()
  const anyStates = new Set<string>()
  const addEdge = (from: string, to: string, label: string) => {
    let scope: string
    if (to.startsWith(`${from}.`)) {
      anyStates.add(from)
      scope = from
      from = `${from}.__any`
      to = childOn(scope, to)
    } else {
      scope = commonAncestor(from, to)
      from = childOn(scope, from)
      to = childOn(scope, to)
    }
    const inScope = edges.get(scope) ?? new Map<string, Edge>()
    edges.set(scope, inScope)
    const edge = inScope.get(`${from}>${to}`) ?? { from, to, labels: [] }
    if (!edge.labels.includes(label)) edge.labels.push(label)
    inScope.set(`${from}>${to}`, edge)
  }
  const collect = (node: DirectedGraphNode) => {
    for (const edge of node.edges) {
      addEdge(
        edge.source.id,
        edge.target.id,
        `${eventLabel(edge.label.text)}${guardLabel(edge.transition.guard)}`,
      )
    }
    const stateNode = node.stateNode as AnyStateNode
    for (const transition of stateNode.always ?? []) {
      for (const target of transition.target ?? [])
        addEdge(node.id, target.id, `always${guardLabel(transition.guard)}`)
    }
    node.children.forEach(collect)
  }
  collect(graph)

  const lines = ['stateDiagram-v2']
  const render = (node: DirectedGraphNode, depth: number) => {
    const pad = '  '.repeat(depth)
    const stateNode = node.stateNode as AnyStateNode
    const name = node.id.slice(node.id.lastIndexOf('.') + 1)
    if (node.children.length === 0) {
      lines.push(`${pad}state "${name}" as ${mermaidId(node.id)}`)
      // Mermaid ends a description at a colon, so none may appear inside it.
      const description = stateNode.description?.replace(/:/g, ' -')
      if (description !== undefined) lines.push(`${pad}${mermaidId(node.id)} : ${description}`)
      return
    }
    lines.push(`${pad}state "${name}" as ${mermaidId(node.id)} {`)
    if (anyStates.has(node.id))
      lines.push(`${pad}  state "any state" as ${mermaidId(`${node.id}.__any`)}`)
    node.children.forEach((child, index) => {
      if (stateNode.type === 'parallel' && index > 0) lines.push(`${pad}  --`)
      render(child, depth + 1)
    })
    if (stateNode.type !== 'parallel' && stateNode.initial?.target[0] !== undefined) {
      lines.push(`${pad}  [*] --> ${mermaidId(stateNode.initial.target[0].id)}`)
    }
    for (const edge of edges.get(node.id)?.values() ?? []) {
      lines.push(
        `${pad}  ${mermaidId(edge.from)} --> ${mermaidId(edge.to)} : ${edge.labels.join(', ')}`,
      )
    }
    lines.push(`${pad}}`)
  }
  render(graph, 1)
  return `${lines.join('\n')}\n`
}
