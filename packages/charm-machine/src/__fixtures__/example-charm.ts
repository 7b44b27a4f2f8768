import type { CharmDefinition, CharmRuntime } from '../juju/index.js'

/** A small 12-factor-style charm used by the tests: one container, a database, ingress, peers. */
export function exampleCharm(
  options: { connectWorkload?: CharmDefinition['connectWorkload'] } = {},
): CharmDefinition {
  const web = (runtime: CharmRuntime) => runtime.workload('web')
  const peerRef = async (runtime: CharmRuntime) => (await runtime.tools.relationIds('peers'))[0]
  return {
    containers: ['web'],
    integrations: {
      db: { kind: 'database', required: true, databaseName: 'example' },
      ingress: { kind: 'ingress', required: false },
      peers: { kind: 'secret-storage', required: true, secretKeys: ['secret_key'] },
    },
    connectWorkload:
      options.connectWorkload ??
      (() => {
        throw new Error('no Pebble in this test')
      }),
    effects: (runtime) => ({
      validateConfig: async ({ config }) => ({
        errors:
          config['mode'] === undefined || ['a', 'b'].includes(String(config['mode']))
            ? []
            : ['invalid options: mode'],
      }),
      runMigrations: async () => {
        const result = await web(runtime).exec(['migrate'])
        if (result.exitCode !== 0)
          throw new Error(result.stderr.trim() || `exit ${result.exitCode}`)
      },
      restartWorkload: async ({ ingressUrl }) => {
        await web(runtime).addLayer(
          'charm',
          {
            services: {
              web: {
                override: 'replace',
                command: 'serve',
                startup: 'enabled',
                environment: { BASE_URL: ingressUrl ?? 'http://example:8000' },
              },
            },
          },
          { combine: true },
        )
        await web(runtime).replan()
        await runtime.tools.openPort('8000/tcp')
      },
      stopWorkload: async () => {
        await web(runtime).stop(['web'])
      },
      initSecretStorage: async ({ relationId, endpoint }) => {
        await runtime.tools.relationSet(
          `${endpoint}:${relationId}`,
          { secret_key: 'generated-key' },
          { app: true },
        )
        return { ready: true }
      },
      runAction: async ({ name, facts }) => {
        if (name !== 'rotate-secret-key') return { failed: `unknown action ${name}` }
        if (!facts.leader) return { failed: 'only leader unit can rotate secret key' }
        const ref = await peerRef(runtime)
        if (ref === undefined) return { failed: 'charm is still initializing' }
        await runtime.tools.relationSet(ref, { secret_key: 'rotated-key' }, { app: true })
        await runtime.tools.actionSet({ status: 'success' })
        return { reconcile: true }
      },
    }),
  }
}
