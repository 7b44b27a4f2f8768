// The baseline the router is measured against: the least a webhook receiver must do. It reads the
// body, checks the HMAC and parses the JSON, and stores nothing. Port 0; prints its port as JSON.
import { createHmac, timingSafeEqual } from 'node:crypto'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

const secret = process.env['APP_WEBHOOK_SECRET'] ?? ''

const server = createServer((req, res) => {
  const chunks: Buffer[] = []
  req.on('data', (chunk: Buffer) => chunks.push(chunk))
  req.on('end', () => {
    const body = Buffer.concat(chunks)
    const expected = Buffer.from(
      `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
    )
    const given = Buffer.from(String(req.headers['x-hub-signature-256'] ?? ''))
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      res.writeHead(403).end('Signature validation failed!')
      return
    }
    try {
      JSON.parse(body.toString('utf8'))
    } catch {
      res.writeHead(400).end('bad json')
      return
    }
    res.writeHead(200).end()
  })
})

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ port: (server.address() as AddressInfo).port }) + '\n')
})
process.on('SIGTERM', () => server.close(() => process.exit(0)))
