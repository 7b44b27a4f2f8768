/**
 * Renders a parsed YAML value the way Python's `repr()` renders the equivalent object, so the
 * one config error that embeds a value (`Expected a single key-value pair: {...}`) reads exactly
 * like the reference's.
 */
export function pythonRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None'
  if (value === true) return 'True'
  if (value === false) return 'False'
  if (typeof value === 'string') return pythonStringRepr(value)
  if (typeof value === 'number') return pythonNumberRepr(value)
  if (typeof value === 'bigint') return value.toString()
  if (Array.isArray(value)) return `[${value.map(pythonRepr).join(', ')}]`
  if (value instanceof Map) {
    const entries = [...value.entries()].map(([k, v]) => `${pythonRepr(k)}: ${pythonRepr(v)}`)
    return `{${entries.join(', ')}}`
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value).map(([k, v]) => `${pythonRepr(k)}: ${pythonRepr(v)}`)
    return `{${entries.join(', ')}}`
  }
  return String(value)
}

function pythonNumberRepr(value: number): string {
  if (Number.isNaN(value)) return 'nan'
  if (value === Infinity) return 'inf'
  if (value === -Infinity) return '-inf'
  return String(value)
}

// Python prefers single quotes and switches to double quotes only when that avoids escaping.
function pythonStringRepr(value: string): string {
  const quote = value.includes("'") && !value.includes('"') ? '"' : "'"
  let body = ''
  for (const char of value) {
    if (char === '\\') body += '\\\\'
    else if (char === quote) body += `\\${quote}`
    else if (char === '\n') body += '\\n'
    else if (char === '\r') body += '\\r'
    else if (char === '\t') body += '\\t'
    else if (char < ' ' || char === '\x7f') {
      body += `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`
    } else body += char
  }
  return `${quote}${body}${quote}`
}
