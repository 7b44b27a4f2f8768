import { describe, expect, it } from 'vitest'
import { UsageError } from './args.js'
import { routeCommand } from './route.js'
import { exampleRoutingEnv, recordingIo } from './test-io.js'

const route = (argv: string[], env: Record<string, string> = exampleRoutingEnv) => {
  const recorded = recordingIo(argv, env)
  return routeCommand.run(recorded.io).then((code) => ({ code, ...recorded }))
}

describe('webhook-router route', () => {
  it('prints the flavour alone on stdout and exits 0 when the labels are routed', async () => {
    const { code, stdout, stderr } = await route(['--labels', 'self-hosted,linux,LARGE,x64'])
    expect(code).toBe(0)
    expect(stdout).toEqual(['large'])
    expect(stderr).toEqual(["'large' is the first flavour with all of [large, x64]"])
  })

  it('routes a job with only self-hosted labels to the default flavour', async () => {
    const { code, stdout, stderr } = await route(['--labels', 'self-hosted,linux'])
    expect(code).toBe(0)
    expect(stdout).toEqual(['small'])
    expect(stderr[0]).toMatch(/default flavour 'small'/)
  })

  it("treats --labels '' as a job without labels", async () => {
    const { code, stdout } = await route(['--labels', ''])
    expect(code).toBe(0)
    expect(stdout).toEqual(['small'])
  })

  it('joins repeated --labels options', async () => {
    const { stdout } = await route(['--labels', 'arm64', '--labels', 'large'])
    expect(stdout).toEqual(['arm64'])
  })

  it('exits 3 with the reason and the closest flavour when no flavour takes the labels', async () => {
    const { code, stdout, stderr } = await route(['--labels', 'small,arm64'])
    expect(code).toBe(3)
    expect(stdout).toEqual([])
    expect(stderr[0]).toMatch(/^unroutable: /)
    expect(stderr[1]).toMatch(/^closest flavour: '(small|arm64)' \(missing: (arm64|small)\)$/)
  })

  it('prints the whole decision as one JSON object with --json', async () => {
    const { code, stdout } = await route(['--labels', 'noble', '--json'])
    expect(code).toBe(3)
    expect(JSON.parse(stdout[0] ?? '')).toMatchObject({
      routed: false,
      code: 'unknown-label',
      unknownLabels: ['noble'],
    })
  })

  it('exits 1 with the reference message when the routing config is invalid', async () => {
    const { code, stderr } = await route(['--labels', 'x64'], { APP_DEFAULT_FLAVOUR: 'small' })
    expect(code).toBe(1)
    expect(stderr).toEqual(['FLAVOURS config is not set!'])
  })

  it('refuses to run without --labels', async () => {
    await expect(route([])).rejects.toThrow(
      new UsageError(
        "webhook-router route: missing --labels. Run 'webhook-router route --help' for usage.",
      ),
    )
  })

  it('refuses an unknown option', async () => {
    await expect(route(['--label', 'x'])).rejects.toThrow(/unknown option '--label'/)
  })

  it('prints its help with --help, even without configuration', async () => {
    const { code, stdout } = await route(['--help'], {})
    expect(code).toBe(0)
    expect(stdout[0]).toMatch(/^Usage: webhook-router route --labels/)
  })
})
