import { describe, expect, it } from 'vitest'
import { DispatchEnvError, readDispatchContext } from './index.js'

const BASE = {
  JUJU_UNIT_NAME: 'github-runner-webhook-router/0',
  JUJU_MODEL_NAME: 'prod',
  JUJU_MODEL_UUID: 'f00-uuid',
  JUJU_VERSION: '3.6.14',
  JUJU_CHARM_DIR: '/var/lib/juju/agents/unit-x-0/charm',
}

describe('readDispatchContext', () => {
  it('reads a plain hook with the unit, app, model and charm dir', () => {
    const context = readDispatchContext({
      ...BASE,
      JUJU_DISPATCH_PATH: 'hooks/config-changed',
      JUJU_HOOK_NAME: 'config-changed',
    })
    expect(context).toMatchObject({
      kind: 'hook',
      name: 'config-changed',
      appName: 'github-runner-webhook-router',
      unitName: 'github-runner-webhook-router/0',
      modelName: 'prod',
      charmDir: '/var/lib/juju/agents/unit-x-0/charm',
    })
  })

  it('takes the relation id after the last colon of JUJU_RELATION_ID', () => {
    const context = readDispatchContext({
      ...BASE,
      JUJU_DISPATCH_PATH: 'hooks/mongodb-relation-changed',
      JUJU_RELATION: 'mongodb',
      JUJU_RELATION_ID: 'mongodb:7',
      JUJU_REMOTE_APP: 'mongodb-k8s',
      JUJU_REMOTE_UNIT: 'mongodb-k8s/0',
    })
    expect(context.relation).toEqual({
      endpoint: 'mongodb',
      ref: 'mongodb:7',
      id: 7,
      remoteApp: 'mongodb-k8s',
      remoteUnit: 'mongodb-k8s/0',
      departingUnit: undefined,
    })
  })

  it('treats an empty JUJU_REMOTE_UNIT (created, broken) as absent', () => {
    const context = readDispatchContext({
      ...BASE,
      JUJU_DISPATCH_PATH: 'hooks/mongodb-relation-broken',
      JUJU_RELATION: 'mongodb',
      JUJU_RELATION_ID: 'mongodb:7',
      JUJU_REMOTE_UNIT: '',
    })
    expect(context.relation?.remoteUnit).toBeUndefined()
  })

  it('reads the departing unit of relation-departed', () => {
    const context = readDispatchContext({
      ...BASE,
      JUJU_DISPATCH_PATH: 'hooks/secret-storage-relation-departed',
      JUJU_RELATION: 'secret-storage',
      JUJU_RELATION_ID: 'secret-storage:1',
      JUJU_REMOTE_UNIT: 'app/1',
      JUJU_DEPARTING_UNIT: 'app/1',
    })
    expect(context.relation?.departingUnit).toBe('app/1')
  })

  it('reads the container of a pebble-ready hook', () => {
    const context = readDispatchContext({
      ...BASE,
      JUJU_DISPATCH_PATH: 'hooks/flask-app-pebble-ready',
      JUJU_WORKLOAD_NAME: 'flask-app',
    })
    expect(context.workload).toBe('flask-app')
  })

  it('reads the secret of a secret hook, with its revision', () => {
    const context = readDispatchContext({
      ...BASE,
      JUJU_DISPATCH_PATH: 'hooks/secret-remove',
      JUJU_SECRET_ID: 'secret:abc',
      JUJU_SECRET_LABEL: '',
      JUJU_SECRET_REVISION: '3',
    })
    expect(context.secret).toEqual({ id: 'secret:abc', revision: 3 })
  })

  it('reads an action by its dispatch path even though JUJU_HOOK_NAME is empty', () => {
    const context = readDispatchContext({
      ...BASE,
      JUJU_DISPATCH_PATH: 'actions/redeliver-failed-webhooks',
      JUJU_HOOK_NAME: '',
      JUJU_ACTION_UUID: '12',
    })
    expect(context).toMatchObject({
      kind: 'action',
      name: 'redeliver-failed-webhooks',
      action: { name: 'redeliver-failed-webhooks', id: '12' },
    })
  })

  it('reads the charm proxy settings, dropping empty ones', () => {
    const context = readDispatchContext({
      ...BASE,
      JUJU_DISPATCH_PATH: 'hooks/install',
      JUJU_CHARM_NO_PROXY: '127.0.0.1,localhost,::1',
      JUJU_CHARM_HTTP_PROXY: '',
    })
    expect(context.proxy).toEqual({
      http: undefined,
      https: undefined,
      no: '127.0.0.1,localhost,::1',
    })
  })

  it.each([
    [{ ...BASE }, /^JUJU_DISPATCH_PATH is not set/],
    [{ ...BASE, JUJU_DISPATCH_PATH: 'bin/evil' }, /must be hooks\/<name> or actions\/<name>/],
    [
      { ...BASE, JUJU_DISPATCH_PATH: 'hooks/install', JUJU_UNIT_NAME: 'nounit' },
      /^JUJU_UNIT_NAME: must be <app>\/<n>$/,
    ],
    [{ ...BASE, JUJU_DISPATCH_PATH: 'hooks/db-relation-changed' }, /has no JUJU_RELATION_ID/],
    [
      {
        ...BASE,
        JUJU_DISPATCH_PATH: 'hooks/db-relation-changed',
        JUJU_RELATION: 'db',
        JUJU_RELATION_ID: 'db:x',
      },
      /has no numeric id/,
    ],
    [{ ...BASE, JUJU_DISPATCH_PATH: 'hooks/secret-changed' }, /has no JUJU_SECRET_ID/],
  ])('rejects a malformed environment with a one-line DispatchEnvError (%#)', (env, message) => {
    expect(() => readDispatchContext(env)).toThrow(DispatchEnvError)
    expect(() => readDispatchContext(env)).toThrow(message)
  })
})
