import { describe, expect, it } from 'vitest'
import { ShellWordsError, splitServiceCommand, splitShellWords } from './shell-words.js'

describe('shell-like command splitting (§3.2)', () => {
  it('splits on whitespace and honours quotes and escapes without expanding anything', () => {
    expect(splitShellWords(`node -e "console.log('a b')"  'x  y' a\\ b $HOME *`)).toEqual([
      'node',
      '-e',
      "console.log('a b')",
      'x  y',
      'a b',
      '$HOME',
      '*',
    ])
  })

  it('keeps empty quoted words', () => {
    expect(splitShellWords(`cmd "" ''`)).toEqual(['cmd', '', ''])
  })

  it('rejects an unterminated quote', () => {
    expect(() => splitShellWords('echo "oops')).toThrow(ShellWordsError)
  })

  it('drops the brackets around default arguments', () => {
    expect(splitServiceCommand('/bin/router serve [ --port 8080 ]')).toEqual([
      '/bin/router',
      'serve',
      '--port',
      '8080',
    ])
  })

  it('rejects brackets that are not a trailing group', () => {
    expect(() => splitServiceCommand('cmd [ a ] b')).toThrow(ShellWordsError)
    expect(() => splitServiceCommand('cmd a ]')).toThrow(ShellWordsError)
  })
})
