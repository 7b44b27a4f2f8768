export { PebbleClient } from './client.js'
export type { PebbleClientOptions, RequestFunction, RequestWrapper, WaitOptions } from './client.js'
export {
  APIError,
  ChangeError,
  ConnectionError,
  ExecError,
  PathError,
  PebbleError,
  ProtocolError,
  TimeoutError,
} from './errors.js'
export type { ExecOptions, ExecResult } from './exec.js'
export type { PebbleResponse } from './response.js'
export type { ListOptions, MakeDirOptions, Ownership, PushOptions } from './files.js'
export { LayerParseError, layerToYaml, parseLayerYaml } from './layer.js'
export type {
  CheckConfig,
  ExecCheckConfig,
  HttpCheckConfig,
  Layer,
  LogTargetConfig,
  Override,
  ServiceAction,
  ServiceConfig,
  TcpCheckConfig,
} from './layer.js'
export { unixSocketTransport } from './transport.js'
export type { Transport, TransportRequest, TransportResponse } from './transport.js'
export { formatGoDuration, parseGoDuration } from './duration.js'
export { splitServiceCommand, splitShellWords, ShellWordsError } from './shell-words.js'
export type {
  Change,
  ChangeStatus,
  CheckInfo,
  CheckStatus,
  FileInfo,
  ServiceInfo,
  ServiceStatus,
  SystemInfo,
  Task,
} from './wire.js'
