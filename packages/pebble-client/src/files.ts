/**
 * Client side of the files API (contract §8): multipart read and write, JSON list, make-dirs and
 * remove. Per-file failures become {@link PathError}.
 */
import * as v from 'valibot'
import { PathError, ProtocolError } from './errors.js'
import { boundaryOf, decodeMultipart, encodeMultipart, newBoundary } from './multipart.js'
import { FileInfoSchema, FileResultSchema, type FileInfo } from './wire.js'
import type { PebbleClient } from './client.js'
import { decodeEnvelope, parse } from './response.js'

/** Ownership fields shared by push and makeDir. */
export interface Ownership {
  userId?: number
  user?: string
  groupId?: number
  group?: string
}

/** Options of {@link PebbleClient.push}. */
export interface PushOptions extends Ownership {
  /** Create missing parent directories (0755). */
  makeDirs?: boolean
  /** Three octal digits, e.g. `'600'` (default `'644'`). */
  permissions?: string
}

/** Options of {@link PebbleClient.makeDir}. */
export interface MakeDirOptions extends Ownership {
  makeParents?: boolean
  permissions?: string
}

/** Options of {@link PebbleClient.list}. */
export interface ListOptions {
  /** Glob on the entry names, e.g. `'*.yaml'`. */
  pattern?: string
  /** Describe the path itself instead of its entries. */
  itself?: boolean
}

function ownership(options: Ownership): Record<string, unknown> {
  return {
    'user-id': options.userId,
    user: options.user,
    'group-id': options.groupId,
    group: options.group,
  }
}

/** @internal */
export async function push(
  client: PebbleClient,
  path: string,
  content: string | Uint8Array,
  options: PushOptions = {},
): Promise<void> {
  const boundary = newBoundary()
  const request = {
    action: 'write',
    files: [
      {
        path,
        'make-dirs': options.makeDirs,
        permissions: options.permissions,
        ...ownership(options),
      },
    ],
  }
  const body = encodeMultipart(boundary, [
    {
      name: 'request',
      contentType: 'application/json',
      body: Buffer.from(JSON.stringify(request)),
    },
    { name: 'files', filename: path, body: Buffer.from(content) },
  ])
  const response = await client.rawRequest({
    method: 'POST',
    path: '/v1/files',
    headers: {
      Accept: 'application/json',
      'Content-Type': `multipart/form-data; boundary=${boundary}`,
    },
    body,
  })
  throwFirstPathError(decodeEnvelope(response).result)
}

/** @internal */
export async function pull(client: PebbleClient, path: string): Promise<Buffer> {
  const response = await client.rawRequest({
    method: 'GET',
    path: `/v1/files?${new URLSearchParams({ action: 'read', path })}`,
    headers: { Accept: 'multipart/form-data' },
  })
  const boundary = boundaryOf(String(response.headers['content-type'] ?? ''))
  // Errors before the files stage (bad request, access) come back as a plain JSON envelope.
  if (boundary === undefined) {
    decodeEnvelope(response)
    throw new ProtocolError('file read answered without a multipart body')
  }
  let parts
  try {
    parts = decodeMultipart(response.body, boundary)
  } catch (error) {
    throw new ProtocolError(`invalid multipart response: ${(error as Error).message}`)
  }
  const envelopePart = parts.find((part) => part.name === 'response')
  if (!envelopePart) throw new ProtocolError('multipart response has no "response" part')
  const envelope = decodeEnvelope({
    statusCode: response.statusCode,
    headers: { 'content-type': 'application/json' },
    body: envelopePart.body,
  })
  throwFirstPathError(envelope.result)
  const file = parts.find((part) => part.name === 'files' && part.filename === path)
  if (!file) throw new ProtocolError(`multipart response has no content for ${path}`)
  return file.body
}

/** @internal */
export async function list(
  client: PebbleClient,
  path: string,
  options: ListOptions = {},
): Promise<FileInfo[]> {
  const query = {
    action: 'list',
    path,
    pattern: options.pattern,
    itself: options.itself ? 'true' : undefined,
  }
  const response = await client.request('GET', '/v1/files', { query })
  return parse(v.array(FileInfoSchema), response.result)
}

/** @internal */
export async function makeDir(
  client: PebbleClient,
  path: string,
  options: MakeDirOptions = {},
): Promise<void> {
  const dir = {
    path,
    'make-parents': options.makeParents,
    permissions: options.permissions,
    ...ownership(options),
  }
  const response = await client.request('POST', '/v1/files', {
    body: { action: 'make-dirs', dirs: [dir] },
  })
  throwFirstPathError(response.result)
}

/** @internal */
export async function remove(
  client: PebbleClient,
  path: string,
  options: { recursive?: boolean } = {},
): Promise<void> {
  const response = await client.request('POST', '/v1/files', {
    body: { action: 'remove', paths: [{ path, recursive: options.recursive }] },
  })
  throwFirstPathError(response.result)
}

function throwFirstPathError(result: unknown): void {
  for (const entry of parse(v.array(FileResultSchema), result)) {
    if (entry.error)
      throw new PathError(entry.error.kind ?? 'generic-file-error', entry.error.message)
  }
}
