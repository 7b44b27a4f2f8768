/**
 * Lowercases a job's labels and removes the self-hosted ones (compared case-insensitively), as
 * the reference does before routing. The result has no repeats and keeps first-seen order.
 *
 * @example
 * ```ts
 * normaliseLabels(['Self-Hosted', 'Linux', 'ARM64'], ['self-hosted', 'linux']) // ['arm64']
 * ```
 */
export function normaliseLabels(
  labels: Iterable<string>,
  selfHostedLabels: Iterable<string>,
): string[] {
  const stripped = new Set(Array.from(selfHostedLabels, (label) => label.toLowerCase()))
  const kept = new Set<string>()
  for (const label of labels) {
    const lower = label.toLowerCase()
    if (!stripped.has(lower)) kept.add(lower)
  }
  return [...kept]
}
