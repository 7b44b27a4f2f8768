import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConnectionError } from '../index.js'
import { startPebbleDouble } from './index.js'

describe('double lifecycle', () => {
  it('after close, calls fail with ConnectionError and canConnect is false', async () => {
    const double = await startPebbleDouble()
    const client = double.client()
    expect(await client.canConnect()).toBe(true)
    await double.close()
    await expect(client.systemInfo()).rejects.toBeInstanceOf(ConnectionError)
    expect(await client.canConnect()).toBe(false)
  })

  it('a new double on the same socket is a restarted container: empty plan, nothing running', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pebble-restart-'))
    const socketPath = join(dir, 'pebble.socket')
    const first = await startPebbleDouble({ socketPath, okayDelayMs: 50 })
    await first
      .client()
      .addLayer('base', { services: { svc: { override: 'replace', command: 'sleep 1000' } } })
    await first.client().startAndWait(['svc'])
    await first.close()
    const second = await startPebbleDouble({ socketPath })
    try {
      expect(await second.client().getPlanYaml()).toBe('{}\n')
      expect(await second.client().getServices()).toEqual([])
    } finally {
      await second.close()
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('refuses a socket another live double serves', async () => {
    const double = await startPebbleDouble()
    try {
      await expect(startPebbleDouble({ socketPath: double.socketPath })).rejects.toThrow(
        'is in use by another daemon',
      )
    } finally {
      await double.close()
    }
  })

  it('§5.3 a service with on-success: shutdown stops the daemon, which reports why', async () => {
    const double = await startPebbleDouble({ okayDelayMs: 50 })
    await double.client().addLayer('base', {
      services: {
        once: { override: 'replace', command: 'sh -c "sleep 0.2"', 'on-success': 'shutdown' },
      },
    })
    await double.client().startAndWait(['once'])
    expect(await double.exited).toEqual({
      exitCode: 0,
      reason: 'service "once" exited with code 0: shutdown',
    })
    expect(await double.client().canConnect()).toBe(false)
    await double.close()
  })
})
