// A writer thread that takes every message and never answers, like one stuck on a stalled disk.
import { parentPort } from 'node:worker_threads'

parentPort.on('message', () => {})
