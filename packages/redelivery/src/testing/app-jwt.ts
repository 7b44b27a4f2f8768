import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto'

/** An RSA key pair for a test GitHub App, generated at runtime so no key is ever committed. */
export interface TestAppKey {
  /** PKCS#1 PEM (`-----BEGIN RSA PRIVATE KEY-----`), the format GitHub hands out. */
  readonly privateKey: string
  readonly publicKey: string
}

/** Generates a fresh 2048-bit test key for {@link startGitHubDouble}'s `app` option. */
export function createTestAppKey(): TestAppKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  })
  return { privateKey, publicKey }
}

/** GitHub's documented limits: `exp` at most 10 minutes after `iat`; allow 60 s of drift. */
const MAX_LIFETIME_S = 600
const DRIFT_S = 60

/**
 * Checks an App JWT the way GitHub does: RS256, signature by the App's key, `iss` equal to the
 * client id, `iat` not in the future and `exp` in the future and within 10 minutes of `iat`.
 * Returns the reason for rejecting it, or `undefined` when it is valid.
 */
export function checkAppJwt(
  jwt: string,
  expected: { publicKey: string; clientId: string; nowSeconds: number },
): string | undefined {
  const parts = jwt.split('.')
  if (parts.length !== 3) return 'A JSON web token could not be decoded'
  const [headerPart = '', payloadPart = '', signaturePart = ''] = parts
  let header: Record<string, unknown>
  let payload: Record<string, unknown>
  try {
    header = JSON.parse(Buffer.from(headerPart, 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >
    payload = JSON.parse(Buffer.from(payloadPart, 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >
  } catch {
    return 'A JSON web token could not be decoded'
  }
  if (header['alg'] !== 'RS256') return `'alg' must be RS256, got ${String(header['alg'])}`
  const signed = Buffer.from(`${headerPart}.${payloadPart}`)
  const key = createPublicKey(expected.publicKey)
  if (!verify('sha256', signed, key, Buffer.from(signaturePart, 'base64url'))) {
    return "A JSON web token could not be decoded: signature does not match the App's key"
  }
  if (String(payload['iss']) !== expected.clientId) return "'Issuer' claim ('iss') does not match"
  const iat = payload['iat']
  const exp = payload['exp']
  if (typeof iat !== 'number' || !Number.isInteger(iat) || iat > expected.nowSeconds + DRIFT_S) {
    return "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued"
  }
  if (typeof exp !== 'number' || exp <= expected.nowSeconds) {
    return "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires"
  }
  if (exp - iat > MAX_LIFETIME_S + DRIFT_S) {
    return "'Expiration time' claim ('exp') is too far in the future"
  }
  return undefined
}
