#!/usr/bin/env node
// Committed shim so npm links the bin at install time; the code lives in the tsc build.
await import('../dist/cli.js')
