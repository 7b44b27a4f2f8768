// The README's charm-author flow, run against the double, so the documented calls stay true.
import { afterEach, expect, it } from 'vitest'
import { ChangeError, ExecError, PebbleClient, type Layer } from './index.js'
import { startPebbleDouble, type PebbleDouble } from './testing/index.js'

let pebble: PebbleDouble | undefined
afterEach(async () => {
  await pebble?.close()
})

it('README: add a layer, replan, read services, exec, and catch the documented errors', async () => {
  pebble = await startPebbleDouble({ okayDelayMs: 300 })
  const client = new PebbleClient({ socketPath: pebble.socketPath })
  const layer: Layer = {
    summary: 'webhook router',
    services: {
      router: {
        override: 'replace',
        command: 'sleep 1000',
        startup: 'enabled',
        environment: { PORT: '8080' },
      },
    },
  }

  expect(await client.canConnect()).toBe(true)
  await client.addLayer('router', layer, { combine: true })
  await client.replanAndWait({ timeout: 30 })
  const [router] = await client.getServices(['router'])
  expect(router?.current).toBe('active')

  const { stdout } = await client.exec(['sh', '-c', 'echo "$DB_URL"'], {
    environment: { DB_URL: 'mongodb://db' },
    workingDir: '/tmp',
    timeout: 300,
  })
  expect(stdout).toBe('mongodb://db\n')
  await expect(client.exec(['false'])).rejects.toBeInstanceOf(ExecError)

  await client.addLayer(
    'router',
    { services: { router: { override: 'merge', command: 'false' } } },
    { combine: true },
  )
  await expect(client.replanAndWait()).rejects.toBeInstanceOf(ChangeError)
})
