/**
 * Launching one service process the way Pebble does (contract §3.2, §5.3): the command split
 * shell-like, the daemon environment plus the service's, working dir, user and group, and a
 * process group of its own so a stop reaches everything the service started.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import type { ServiceConfig } from '../layer.js'
import { splitServiceCommand } from '../shell-words.js'
import { TaskFailure } from './changes.js'
import {
  buildEnvironment,
  exitCodeOf,
  isDirectory,
  lookPath,
  resolveIdentity,
} from './process-env.js'

/** A started process and its exit code (128 + the signal number when a signal ended it). */
export interface ServiceProcess {
  child: ChildProcess
  exited: Promise<number>
}

// A background child may keep stdout open after the service itself exited; Pebble watches the
// process, not its pipes, so the exit counts once the pipes drain or after this grace.
const PIPE_GRACE_MS = 100

/**
 * Spawns a service. Problems found before the process exists (bad command, unknown user,
 * missing executable or working dir) throw a {@link TaskFailure} with Pebble's wording.
 */
export function launchServiceProcess(
  config: ServiceConfig,
  daemonEnvironment: Readonly<Record<string, string | undefined>>,
  onOutput: (chunk: Buffer) => void,
): ServiceProcess {
  let argv: string[]
  let runAs
  try {
    argv = splitServiceCommand(config.command ?? '')
  } catch (error) {
    throw new TaskFailure(`cannot start service: ${(error as Error).message}`)
  }
  try {
    runAs = resolveIdentity({
      user: config.user,
      userId: config['user-id'],
      group: config.group,
      groupId: config['group-id'],
    })
  } catch (error) {
    // Pebble reports an unknown user or group as is: `user: unknown user _daemon_`.
    throw new TaskFailure((error as Error).message)
  }
  const env = buildEnvironment(daemonEnvironment, runAs, config.environment)
  const workingDir = config['working-dir']
  if (workingDir && !isDirectory(workingDir)) {
    throw new TaskFailure(`cannot start service: chdir ${workingDir}: no such file or directory`)
  }
  const [file = '', ...args] = argv
  const executable = lookPath(file, env['PATH'])
  if (!executable) {
    throw new TaskFailure(
      `cannot start service: exec: "${file}": executable file not found in $PATH`,
    )
  }
  let child: ChildProcess
  try {
    child = spawn(executable, args, {
      env,
      argv0: file,
      ...(workingDir ? { cwd: workingDir } : {}),
      ...(runAs.uid === undefined ? {} : { uid: runAs.uid }),
      ...(runAs.gid === undefined ? {} : { gid: runAs.gid }),
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
  } catch (error) {
    throw new TaskFailure(`cannot start service: ${(error as Error).message}`)
  }
  child.stdout?.on('data', onOutput)
  child.stderr?.on('data', onOutput)
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()))
  const exited = new Promise<number>((resolve) => {
    child.once('error', (error) => {
      onOutput(Buffer.from(`cannot start service: ${error.message}\n`))
      if (child.pid === undefined) resolve(127)
    })
    child.once('exit', (code, signal) => {
      const exitCode = exitCodeOf(code, signal)
      const grace = new Promise<void>((done) => setTimeout(done, PIPE_GRACE_MS).unref())
      void Promise.race([closed, grace]).then(() => resolve(exitCode))
    })
  })
  return { child, exited }
}
