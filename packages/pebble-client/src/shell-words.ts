/**
 * Shell-like word splitting as Pebble applies it to service and check commands (contract
 * §3.2: "split shell-like but not run by a shell"): whitespace separates words, single and
 * double quotes group, backslash escapes outside single quotes. No expansion of any kind.
 */

/** Raised when a command line cannot be split (unterminated quote or trailing backslash). */
export class ShellWordsError extends Error {
  override readonly name = 'ShellWordsError'
}

/**
 * Splits a command line into words.
 *
 * @example
 * splitShellWords(`node -e "console.log('hi')"`) // ['node', '-e', "console.log('hi')"]
 */
export function splitShellWords(line: string): string[] {
  const words: string[] = []
  let word = ''
  let inWord = false
  let quote: '"' | "'" | undefined
  for (let i = 0; i < line.length; i++) {
    const char = line.charAt(i)
    if (quote === "'") {
      if (char === "'") quote = undefined
      else word += char
      continue
    }
    if (char === '\\') {
      if (i + 1 >= line.length) throw new ShellWordsError('trailing backslash')
      const next = line.charAt(++i)
      // Inside double quotes a backslash only escapes the characters the shell treats specially.
      if (quote === '"' && !'"\\$`\n'.includes(next)) word += char
      if (next !== '\n') word += next
      inWord = true
      continue
    }
    if (quote === '"') {
      if (char === '"') quote = undefined
      else word += char
      continue
    }
    if (char === '"' || char === "'") {
      quote = char
      inWord = true
    } else if (/\s/.test(char)) {
      if (inWord) words.push(word)
      word = ''
      inWord = false
    } else {
      word += char
      inWord = true
    }
  }
  if (quote) throw new ShellWordsError(`unterminated ${quote === '"' ? 'double' : 'single'} quote`)
  if (inWord) words.push(word)
  return words
}

/**
 * Splits a Pebble service command, dropping the brackets around optional default arguments
 * (`cmd --fixed [ --default ]` runs `cmd --fixed --default`, contract §3.2).
 *
 * @example
 * splitServiceCommand('/bin/router serve [ --port 8080 ]') // ['/bin/router', 'serve', '--port', '8080']
 */
export function splitServiceCommand(command: string): string[] {
  const words = splitShellWords(command)
  const open = words.indexOf('[')
  if (open === -1) {
    if (words.includes(']')) throw new ShellWordsError('cannot have ] without [')
    return words
  }
  if (words.at(-1) !== ']')
    throw new ShellWordsError('cannot have [ without a closing ] at the end')
  const defaults = words.slice(open + 1, -1)
  if (defaults.includes('[') || defaults.includes(']')) {
    throw new ShellWordsError('cannot nest [ ... ] groups')
  }
  return [...words.slice(0, open), ...defaults]
}
