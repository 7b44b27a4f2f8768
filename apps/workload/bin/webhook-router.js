#!/usr/bin/env -S node --max-semi-space-size=8 --heap-growing-percent=30
// Committed shim so npm links the bin at install time; the code lives in the tsc build.
// The V8 flags keep `serve` under 150 MB at saturation: a smaller young generation, and a major
// GC before the old generation doubles (see docs/benchmarks.md). Neither slows it measurably.
await import('../dist/cli.js')
