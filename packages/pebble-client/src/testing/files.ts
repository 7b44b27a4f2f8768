/**
 * The double's files API (contract §8), on a directory that stands in for the container's
 * filesystem: `/etc/app.yaml` lives at `<root>/etc/app.yaml`.
 */
import { randomBytes } from 'node:crypto'
import {
  chmod,
  lstat,
  mkdir,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises'
import { basename, dirname, isAbsolute, join, posix } from 'node:path'
import * as v from 'valibot'
import {
  boundaryOf,
  decodeMultipart,
  encodeMultipart,
  newBoundary,
  type MultipartPart,
} from '../multipart.js'
import { errorReply, syncReply, type Reply } from './envelope.js'
import { firstIssue } from './http-error.js'
import {
  applyOwnership,
  asFileError,
  describe,
  fail,
  FileError,
  globToRegExp,
  parseMode,
} from './file-support.js'

const Ownership = {
  'user-id': v.optional(v.nullable(v.number())),
  user: v.optional(v.string()),
  'group-id': v.optional(v.nullable(v.number())),
  group: v.optional(v.string()),
}
const WriteRequestSchema = v.looseObject({
  action: v.string(),
  files: v.array(
    v.looseObject({
      path: v.string(),
      'make-dirs': v.optional(v.boolean()),
      permissions: v.optional(v.string()),
      ...Ownership,
    }),
  ),
})
const JsonRequestSchema = v.looseObject({
  action: v.optional(v.string()),
  dirs: v.optional(
    v.array(
      v.looseObject({
        path: v.string(),
        'make-parents': v.optional(v.boolean()),
        permissions: v.optional(v.string()),
        ...Ownership,
      }),
    ),
  ),
  paths: v.optional(
    v.array(v.looseObject({ path: v.string(), recursive: v.optional(v.boolean()) })),
  ),
})

type FileResult = { path: string; error?: { kind: string; message: string } }

/** Serves `/v1/files` for one root directory. */
export class FilesApi {
  constructor(private readonly root: string) {}

  /** `GET /v1/files?action=read|list`. */
  async get(query: URLSearchParams, accept: string | undefined): Promise<Reply> {
    const action = query.get('action') ?? ''
    if (action === 'read') return this.read(query.getAll('path'), accept)
    if (action === 'list')
      return this.list(
        query.get('path') ?? '',
        query.get('pattern') ?? '',
        query.get('itself') === 'true',
      )
    return errorReply(400, `invalid action "${action}"`)
  }

  /** `POST /v1/files`: multipart write, or JSON make-dirs / remove. */
  async post(contentType: string | undefined, body: Buffer): Promise<Reply> {
    if ((contentType ?? '').startsWith('multipart/form-data')) return this.write(contentType, body)
    let json: unknown
    try {
      json = JSON.parse(body.toString('utf8'))
    } catch (error) {
      return errorReply(400, `cannot decode request body: ${(error as Error).message}`)
    }
    const parsed = v.safeParse(JsonRequestSchema, json)
    if (!parsed.success)
      return errorReply(400, `cannot decode request body: ${firstIssue(parsed.issues)}`)
    const request = parsed.output
    if (request.action === 'make-dirs') {
      return syncReply(await Promise.all((request.dirs ?? []).map((dir) => this.makeDir(dir))))
    }
    if (request.action === 'remove') {
      return syncReply(
        await Promise.all(
          (request.paths ?? []).map((entry) => this.remove(entry.path, entry.recursive ?? false)),
        ),
      )
    }
    if (request.action === 'write') return errorReply(400, 'must use multipart with "write" action')
    return errorReply(400, `invalid action "${request.action ?? ''}"`)
  }

  private async read(paths: string[], accept: string | undefined): Promise<Reply> {
    if (accept !== 'multipart/form-data') return errorReply(400, 'must accept multipart/form-data')
    const parts: MultipartPart[] = []
    const results: FileResult[] = []
    for (const path of paths) {
      try {
        const host = this.hostPath(path)
        const info = await stat(host).catch((error: unknown) => fail('stat', path, error))
        if (!info.isFile())
          throw new FileError('generic-file-error', `can only read a regular file: "${path}"`)
        const content = await readFile(host).catch((error: unknown) => fail('open', path, error))
        parts.push({ name: 'files', filename: path, body: content })
        results.push({ path })
      } catch (error) {
        results.push({ path, error: asFileError(error) })
      }
    }
    const envelope = { type: 'sync', 'status-code': 200, status: 'OK', result: results }
    parts.push({
      name: 'response',
      contentType: 'application/json',
      body: Buffer.from(JSON.stringify(envelope)),
    })
    const boundary = newBoundary()
    return {
      statusCode: 200,
      contentType: `multipart/form-data; boundary=${boundary}`,
      body: encodeMultipart(boundary, parts),
    }
  }

  private async list(path: string, pattern: string, itself: boolean): Promise<Reply> {
    if (!isAbsolute(path)) return errorReply(400, `path must be absolute, got "${path}"`)
    try {
      const host = this.hostPath(path)
      const info = await lstat(host).catch((error: unknown) => fail('stat', path, error))
      if (itself || !info.isDirectory()) return syncReply([await describe(host, path)])
      const names = (await readdir(host)).sort()
      // Go checks the pattern while matching a name: an empty directory never finds it bad.
      const matcher = pattern && names.length > 0 ? globToRegExp(pattern) : undefined
      const picked = names.filter((name) => !matcher || matcher.test(name))
      return syncReply(
        await Promise.all(picked.map((name) => describe(join(host, name), posix.join(path, name)))),
      )
    } catch (error) {
      const { kind, message } = asFileError(error)
      const status = kind === 'not-found' ? 404 : kind === 'permission-denied' ? 403 : 400
      return errorReply(status, message, kind)
    }
  }

  private async write(contentType: string | undefined, body: Buffer): Promise<Reply> {
    const boundary = boundaryOf(contentType)
    if (!boundary || boundary.length < 32) return errorReply(400, 'invalid boundary')
    let parts: MultipartPart[]
    try {
      parts = decodeMultipart(body, boundary)
    } catch (error) {
      return errorReply(400, `cannot read multipart body: ${(error as Error).message}`)
    }
    const first = parts[0]
    if (first?.name !== 'request')
      return errorReply(400, 'must include "request" field as the first part')
    let request
    try {
      const parsed = v.safeParse(WriteRequestSchema, JSON.parse(first.body.toString('utf8')))
      if (!parsed.success) throw new Error(firstIssue(parsed.issues))
      request = parsed.output
    } catch (error) {
      return errorReply(400, `cannot decode request body: ${(error as Error).message}`)
    }
    if (request.action !== 'write')
      return errorReply(400, `multipart action must be "write", got "${request.action}"`)
    const results: FileResult[] = []
    for (const file of request.files) {
      const content = parts.find((part) => part.name === 'files' && part.filename === file.path)
      if (!content) return errorReply(400, `no file content for path "${file.path}"`)
      try {
        const host = this.hostPath(file.path)
        const mode = parseMode(file.permissions, 0o644)
        if (file['make-dirs']) await mkdir(dirname(host), { recursive: true, mode: 0o755 })
        // Written beside the target then renamed, so readers never see half a file (§8).
        const temp = join(dirname(host), `.${basename(host)}.${randomBytes(4).toString('hex')}~`)
        await writeFile(temp, content.body, { mode }).catch((error: unknown) =>
          fail('open', file.path, error),
        )
        await chmod(temp, mode)
        await applyOwnership(temp, file)
        await rename(temp, host)
        results.push({ path: file.path })
      } catch (error) {
        results.push({ path: file.path, error: asFileError(error) })
      }
    }
    return syncReply(results)
  }

  private async makeDir(
    dir: {
      path: string
      'make-parents'?: boolean | undefined
      permissions?: string | undefined
    } & Record<string, unknown>,
  ): Promise<FileResult> {
    try {
      const host = this.hostPath(dir.path)
      const mode = parseMode(dir.permissions, 0o755)
      if (dir['make-parents']) {
        await mkdir(host, { recursive: true, mode })
      } else {
        await mkdir(host, { mode }).catch((error: unknown) => fail('mkdir', dir.path, error))
      }
      await chmod(host, mode)
      await applyOwnership(host, dir as never)
      return { path: dir.path }
    } catch (error) {
      return { path: dir.path, error: asFileError(error) }
    }
  }

  private async remove(path: string, recursive: boolean): Promise<FileResult> {
    try {
      const host = this.hostPath(path)
      const info = await lstat(host).catch((error: unknown) => fail('remove', path, error))
      if (info.isDirectory() && !recursive && (await readdir(host)).length > 0) {
        throw new FileError('generic-file-error', `remove ${path}: directory not empty`)
      }
      await rm(host, { recursive: true, force: false })
      return { path }
    } catch (error) {
      return { path, error: asFileError(error) }
    }
  }

  private hostPath(path: string): string {
    if (!isAbsolute(path))
      throw new FileError('generic-file-error', `paths must be absolute, got "${path}"`)
    return join(this.root, posix.normalize(path))
  }
}
