/** The double's response envelope (contract §1.3), key order as Pebble emits it. */
import { STATUS_CODES } from 'node:http'

/** A finished answer, ready to write. */
export interface Reply {
  statusCode: number
  contentType: string
  body: Buffer
}

function json(statusCode: number, envelope: Record<string, unknown>): Reply {
  return {
    statusCode,
    contentType: 'application/json',
    body: Buffer.from(JSON.stringify(envelope)),
  }
}

/** `type: sync`; `statusCode` is 200 except for health's 502 (§2). */
export function syncReply(result: unknown, statusCode = 200): Reply {
  return json(statusCode, {
    type: 'sync',
    'status-code': statusCode,
    status: STATUS_CODES[statusCode],
    ...(result === undefined ? {} : { result }),
  })
}

/** `type: async`, 202, with the change id; service actions send `result: null` (§1.3). */
export function asyncReply(changeId: string, result: unknown = null): Reply {
  return json(202, {
    type: 'async',
    'status-code': 202,
    status: 'Accepted',
    change: changeId,
    result,
  })
}

/** `type: error`; `kind` only where Pebble sets one (§1.4). */
export function errorReply(statusCode: number, message: string, kind?: string): Reply {
  // Pebble attaches login-required to every 401 (§1.4).
  const errorKind = statusCode === 401 ? 'login-required' : kind
  return json(statusCode, {
    type: 'error',
    'status-code': statusCode,
    status: STATUS_CODES[statusCode],
    result: { message, ...(errorKind ? { kind: errorKind } : {}) },
  })
}
