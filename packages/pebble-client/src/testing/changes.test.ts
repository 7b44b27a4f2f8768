import { describe, expect, it } from 'vitest'
import { ChangeStore, TaskFailure } from './changes.js'

const store = () => new ChangeStore(() => new Date('2025-01-01T10:00:00.000Z'))

describe('change store (§6.2)', () => {
  it('derives the change status by priority: Doing over Error over Done over Hold', () => {
    const changes = store()
    const change = changes.create('start', 'Start')
    const [a, b] = [changes.addTask(change, 'start', 'A'), changes.addTask(change, 'start', 'B')]
    expect(changes.status(change)).toBe('Do')
    changes.setStatus(change, a, 'Error')
    changes.setStatus(change, b, 'Doing')
    expect(changes.status(change)).toBe('Doing')
    changes.setStatus(change, b, 'Hold')
    expect(changes.status(change)).toBe('Error')
    expect(changes.isReady(change)).toBe(true)
  })

  it('a change without tasks is Hold unless finished explicitly', () => {
    const changes = store()
    const change = changes.create('replan', 'Replan - no services')
    expect(changes.status(change)).toBe('Hold')
    changes.finishEmpty(change)
    expect(changes.toJSON(change)).toMatchObject({
      status: 'Done',
      ready: true,
      'ready-time': '2025-01-01T10:00:00.000Z',
    })
  })

  it('builds err from every ERROR log entry of failed tasks', async () => {
    const changes = store()
    const change = changes.create('start', 'Start')
    const task = changes.addTask(change, 'start', 'Start service "a"')
    const held = changes.addTask(change, 'start', 'Start service "b"')
    await changes.runSequential(change, [
      { task, run: () => Promise.reject(new TaskFailure('boom')) },
      { task: held, run: () => Promise.resolve() },
    ])
    expect(changes.toJSON(change)).toMatchObject({
      status: 'Error',
      err: 'cannot perform the following tasks:\n- Start service "a" (boom)',
      tasks: [
        { status: 'Error', log: ['2025-01-01T10:00:00.000Z ERROR boom'] },
        { status: 'Hold', progress: { label: '', done: 1, total: 1 } },
      ],
    })
  })

  it('wait resolves on readiness and reports false after its timeout', async () => {
    const changes = store()
    const change = changes.create('start', 'Start')
    const task = changes.addTask(change, 'start', 'A')
    expect(await changes.wait(change, 10)).toBe(false)
    const waiting = changes.wait(change, undefined)
    changes.setStatus(change, task, 'Done')
    expect(await waiting).toBe(true)
  })

  it('keeps only the last ten log entries in the JSON', () => {
    const changes = store()
    const change = changes.create('start', 'Start')
    const task = changes.addTask(change, 'start', 'A')
    for (let i = 0; i < 12; i++) changes.log(task, 'INFO', `line ${i}`)
    const json = changes.toJSON(change) as { tasks: Array<{ log: string[] }> }
    expect(json.tasks[0]?.log).toHaveLength(10)
    expect(json.tasks[0]?.log[0]).toMatch(/line 2$/)
  })
})
