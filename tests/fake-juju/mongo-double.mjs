// A MongoDB wire-protocol double for process tests: enough of OP_QUERY/OP_MSG and the commands
// the router's MongoDB queue and the official driver use (handshake, insert with a unique _id,
// find, update with $set/upsert, delete, createIndexes, aggregate $group) to run the real
// `webhook-router migrate` and `serve` without a MongoDB server. It is not a database: no
// transactions, no auth, no index semantics beyond _id uniqueness. Data lives in memory.
import { createServer } from 'node:net'
import { BSON, Long, ObjectId } from 'bson'

const OP_REPLY = 1
const OP_QUERY = 2004
const OP_MSG = 2013

function cstring(buffer, offset) {
  const end = buffer.indexOf(0, offset)
  return [buffer.toString('utf8', offset, end), end + 1]
}

function readDocument(buffer, offset) {
  const size = buffer.readInt32LE(offset)
  return [
    BSON.deserialize(buffer.subarray(offset, offset + size), { promoteValues: true }),
    offset + size,
  ]
}

/** Parses one OP_MSG body into a command document, folding kind-1 sequences into it. */
function parseMsg(body) {
  const flags = body.readUInt32LE(0)
  const end = flags & 1 ? body.length - 4 : body.length
  let offset = 4
  let command = {}
  while (offset < end) {
    const kind = body[offset]
    offset += 1
    if (kind === 0) {
      ;[command, offset] = readDocument(body, offset)
    } else {
      const size = body.readInt32LE(offset)
      const sectionEnd = offset + size
      let [identifier, at] = cstring(body, offset + 4)
      const documents = []
      while (at < sectionEnd) {
        let document
        ;[document, at] = readDocument(body, at)
        documents.push(document)
      }
      command[identifier] = documents
      offset = sectionEnd
    }
  }
  return command
}

function same(a, b) {
  if (a instanceof ObjectId || b instanceof ObjectId) return String(a) === String(b)
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime()
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) {
    return JSON.stringify(a) === JSON.stringify(b)
  }
  return a === b
}

function matches(document, filter = {}) {
  return Object.entries(filter).every(([field, condition]) => {
    const value = document[field]
    if (
      condition !== null &&
      typeof condition === 'object' &&
      !(condition instanceof ObjectId) &&
      !(condition instanceof Date)
    ) {
      const operators = Object.keys(condition)
      if (operators.length > 0 && operators.every((key) => key.startsWith('$'))) {
        return operators.every((operator) => {
          const operand = condition[operator]
          if (operator === '$in') return operand.some((candidate) => same(value, candidate))
          if (operator === '$eq') return same(value, operand)
          if (operator === '$exists') return (value !== undefined) === Boolean(operand)
          throw Object.assign(new Error(`unsupported operator ${operator}`), { code: 2 })
        })
      }
    }
    return same(value, condition)
  })
}

function project(document, projection) {
  if (!projection || Object.keys(projection).length === 0) return document
  const include = Object.entries(projection).filter(([key, on]) => on && key !== '_id')
  if (include.length === 0) {
    return Object.fromEntries(Object.entries(document).filter(([key]) => projection[key] !== 0))
  }
  const result = projection._id === 0 ? {} : { _id: document._id }
  for (const [key] of include) if (key in document) result[key] = document[key]
  return result
}

function applyUpdate(document, update) {
  const operators = Object.keys(update)
  if (operators.length > 0 && operators.every((key) => key.startsWith('$'))) {
    for (const [operator, fields] of Object.entries(update)) {
      if (operator === '$set') Object.assign(document, fields)
      else if (operator === '$setOnInsert') continue
      else throw Object.assign(new Error(`unsupported update operator ${operator}`), { code: 2 })
    }
    return document
  }
  return { _id: document._id, ...update }
}

/**
 * Starts the double on 127.0.0.1 (random port). `uri(database)` gives a connect string;
 * `collection(database, name)` returns the stored documents for assertions.
 */
export async function startMongoDouble() {
  const databases = new Map()
  const commands = []
  let connections = 0
  const collection = (db, name) => {
    let collections = databases.get(db)
    if (!collections) databases.set(db, (collections = new Map()))
    let documents = collections.get(name)
    if (!documents) collections.set(name, (documents = []))
    return documents
  }

  function run(command, connectionId) {
    const [name] = Object.keys(command)
    const db = command.$db ?? 'admin'
    commands.push(name)
    switch (name.toLowerCase()) {
      case 'hello':
      case 'ismaster':
        return {
          helloOk: true,
          isWritablePrimary: true,
          ismaster: true,
          maxBsonObjectSize: 16_777_216,
          maxMessageSizeBytes: 48_000_000,
          maxWriteBatchSize: 100_000,
          localTime: new Date(),
          logicalSessionTimeoutMinutes: 30,
          connectionId,
          minWireVersion: 0,
          maxWireVersion: 21,
          readOnly: false,
          ok: 1,
        }
      case 'ping':
      case 'endsessions':
      case 'killcursors':
      case 'collmod':
        return { ok: 1 }
      case 'buildinfo':
        return { version: '7.0.0-double', versionArray: [7, 0, 0, 0], ok: 1 }
      case 'createindexes':
        collection(db, command[name])
        return {
          numIndexesBefore: 1,
          numIndexesAfter: 1 + command.indexes.length,
          createdCollectionAutomatically: false,
          ok: 1,
        }
      case 'insert': {
        const documents = collection(db, command.insert)
        const writeErrors = []
        let n = 0
        command.documents.forEach((document, index) => {
          const stored = { _id: document._id ?? new ObjectId(), ...document }
          if (documents.some((existing) => same(existing._id, stored._id))) {
            writeErrors.push({
              index,
              code: 11000,
              errmsg: `E11000 duplicate key error collection: ${db}.${command.insert} index: _id_ dup key: { _id: ${JSON.stringify(String(stored._id))} }`,
            })
            if (command.ordered !== false) return
          } else {
            documents.push(stored)
            n += 1
          }
        })
        return writeErrors.length > 0 ? { n, writeErrors, ok: 1 } : { n, ok: 1 }
      }
      case 'update': {
        const documents = collection(db, command.update)
        let n = 0
        let nModified = 0
        const upserted = []
        command.updates.forEach((statement, index) => {
          const found = documents.filter((document) => matches(document, statement.q))
          const targets = statement.multi ? found : found.slice(0, 1)
          for (const target of targets) {
            const before = JSON.stringify(target)
            const updated = applyUpdate(target, statement.u)
            if (updated !== target) documents.splice(documents.indexOf(target), 1, updated)
            n += 1
            if (JSON.stringify(updated) !== before) nModified += 1
          }
          if (targets.length === 0 && statement.upsert) {
            const base = Object.fromEntries(
              Object.entries(statement.q ?? {}).filter(
                ([, v]) => typeof v !== 'object' || v === null || v instanceof ObjectId,
              ),
            )
            const created = applyUpdate({ _id: new ObjectId(), ...base }, statement.u)
            documents.push(created)
            upserted.push({ index, _id: created._id })
            n += 1
          }
        })
        return upserted.length > 0 ? { n, nModified, upserted, ok: 1 } : { n, nModified, ok: 1 }
      }
      case 'delete': {
        const documents = collection(db, command.delete)
        let n = 0
        for (const statement of command.deletes) {
          const found = documents.filter((document) => matches(document, statement.q))
          for (const target of statement.limit === 1 ? found.slice(0, 1) : found) {
            documents.splice(documents.indexOf(target), 1)
            n += 1
          }
        }
        return { n, ok: 1 }
      }
      case 'find': {
        let found = collection(db, command.find).filter((document) =>
          matches(document, command.filter),
        )
        if (command.limit) found = found.slice(0, Math.abs(command.limit))
        const firstBatch = found.map((document) =>
          project(BSON.deserialize(BSON.serialize(document)), command.projection),
        )
        return {
          cursor: { id: Long.fromNumber(0), ns: `${db}.${command.find}`, firstBatch },
          ok: 1,
        }
      }
      case 'aggregate': {
        let rows = collection(db, command.aggregate)
        for (const stage of command.pipeline) {
          if (stage.$match) rows = rows.filter((document) => matches(document, stage.$match))
          else if (stage.$group) {
            const groups = new Map()
            const key = String(stage.$group._id).replace(/^\$/, '')
            for (const document of rows)
              groups.set(document[key], (groups.get(document[key]) ?? 0) + 1)
            const [[field]] = Object.entries(stage.$group).filter(([k]) => k !== '_id')
            rows = [...groups].map(([id, count]) => ({ _id: id, [field]: count }))
          } else
            throw Object.assign(new Error(`unsupported stage ${Object.keys(stage)[0]}`), {
              code: 2,
            })
        }
        return {
          cursor: { id: Long.fromNumber(0), ns: `${db}.${command.aggregate}`, firstBatch: rows },
          ok: 1,
        }
      }
      default:
        return {
          ok: 0,
          errmsg: `no such command: '${name}'`,
          code: 59,
          codeName: 'CommandNotFound',
        }
    }
  }

  const answer = (command, connectionId) => {
    try {
      return run(command, connectionId)
    } catch (error) {
      return { ok: 0, errmsg: error.message, code: error.code ?? 8000 }
    }
  }

  const server = createServer((socket) => {
    const connectionId = ++connections
    let pending = Buffer.alloc(0)
    socket.on('error', () => socket.destroy())
    socket.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk])
      while (pending.length >= 16 && pending.length >= pending.readInt32LE(0)) {
        const size = pending.readInt32LE(0)
        const message = pending.subarray(0, size)
        pending = pending.subarray(size)
        const requestId = message.readInt32LE(4)
        const opCode = message.readInt32LE(12)
        const body = message.subarray(16)
        let reply
        if (opCode === OP_MSG) {
          const response = BSON.serialize(answer(parseMsg(body), connectionId))
          reply = Buffer.concat([Buffer.alloc(5), response])
          reply.writeUInt32LE(0, 0)
          reply[4] = 0
          reply = frame(reply, requestId, OP_MSG)
        } else if (opCode === OP_QUERY) {
          const [, afterName] = cstring(body, 4)
          const [query] = readDocument(body, afterName + 8)
          const command = query.$query ?? query
          const response = BSON.serialize(answer(command, connectionId))
          const head = Buffer.alloc(20)
          head.writeInt32LE(0, 0)
          head.writeBigInt64LE(0n, 4)
          head.writeInt32LE(0, 12)
          head.writeInt32LE(1, 16)
          reply = frame(Buffer.concat([head, response]), requestId, OP_REPLY)
        } else {
          socket.destroy()
          return
        }
        socket.write(reply)
      }
    })
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address()
  return {
    port,
    uri: (database = '') => `mongodb://127.0.0.1:${port}/${database}`,
    collection: (database, name) => collection(database, name),
    commands,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections?.()
      }),
  }
}

let nextRequestId = 1
function frame(body, responseTo, opCode) {
  const header = Buffer.alloc(16)
  header.writeInt32LE(16 + body.length, 0)
  header.writeInt32LE(nextRequestId++, 4)
  header.writeInt32LE(responseTo, 8)
  header.writeInt32LE(opCode, 12)
  return Buffer.concat([header, body])
}
