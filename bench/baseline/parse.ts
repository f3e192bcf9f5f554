// Input parsing the way a Node team would write it: NDJSON by JSON.parse per
// line, CSV by splitting lines into fields (with RFC 4180 quotes), then
// grouping by series in first-appearance order and a stable sort by ts.

export type Format = 'ndjson' | 'csv'
export type BadLinePolicy = 'fail' | 'skip'

/** One series, ts-sorted; `values` holds NaN for missing. */
export interface Series {
  id: string
  ts: number[]
  values: number[]
}

export interface Batch {
  series: Series[]
  points: number
  badLines: number
  /** The first 20 bad line numbers (1-based). */
  badLineNumbers: number[]
}

/** A bad line under `onBadLine: 'fail'`. */
export class ParseError extends Error {
  readonly code = 'ERR_CONCLUDE_PARSE'
  constructor(readonly line: number, reason: string) {
    super(`line ${line}: ${reason}`)
    this.name = 'ParseError'
  }
}

class BadLine extends Error {}

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?([Zz]|([+-])(\d{2})(?::?(\d{2}))?)?)?$/

/** An ISO-8601 timestamp as epoch milliseconds (no offset means UTC). */
export function isoToEpochMs(s: string): number {
  const m = ISO.exec(s)
  if (!m) throw new BadLine(`"ts" is not an ISO-8601 timestamp (found ${JSON.stringify(s)})`)
  const [, y, mo, d, h = '0', mi = '0', sec = '0', frac, , sign, oh = '0', om = '0'] = m
  const ms = Date.UTC(+y!, +mo! - 1, +d!, +h, +mi, +sec)
  const check = new Date(ms)
  if (check.getUTCMonth() !== +mo! - 1 || check.getUTCDate() !== +d! || +h > 23 || +mi > 59 || +sec > 59) {
    throw new BadLine(`"ts" is not a valid date and time (found ${JSON.stringify(s)})`)
  }
  const fraction = frac ? Number(frac) * 1000 : 0
  const offset = sign ? (sign === '-' ? -1 : 1) * (+oh * 60 + +om) * 60_000 : 0
  return ms + fraction - offset
}

function timestamp(raw: unknown): number {
  if (typeof raw === 'number') {
    if (!Number.isFinite(raw)) throw new BadLine(`"ts" is not a finite number`)
    return raw
  }
  if (typeof raw === 'string') return isoToEpochMs(raw)
  throw new BadLine(`"ts" is missing or not a number or ISO-8601 string`)
}

function ndjsonPoint(line: string): [string, number, number] {
  let obj: unknown
  try {
    obj = JSON.parse(line)
  } catch (e) {
    throw new BadLine(`invalid JSON: ${(e as Error).message}`)
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new BadLine('not a JSON object')
  const { series, ts, value } = obj as Record<string, unknown>
  if (typeof series !== 'string' || series === '') throw new BadLine(`"series" is missing or not a non-empty string`)
  let v: number
  if (value === null) v = NaN
  else if (typeof value === 'number' && Number.isFinite(value)) v = value
  else throw new BadLine(`"value" is missing or not a finite number or null`)
  return [series, timestamp(ts), v]
}

/**
 * The fields of one CSV line: a plain split when it has no quote, else RFC 4180 quoting
 * (`""` is a quote). A quoted field cannot span lines in this baseline.
 */
function csvFields(line: string): string[] {
  if (!line.includes('"')) return line.split(',')
  const fields: string[] = []
  let i = 0
  for (;;) {
    let field = ''
    if (line[i] === '"') {
      for (i++; ; i += 2) {
        const q = line.indexOf('"', i)
        if (q < 0) throw new BadLine('a quoted field is not closed on its line')
        field += line.slice(i, q)
        i = q
        if (line[q + 1] !== '"') break
        field += '"'
      }
      i++
      if (i < line.length && line[i] !== ',') throw new BadLine('unexpected text after a closing quote')
    } else {
      const end = line.indexOf(',', i)
      field = line.slice(i, end < 0 ? line.length : end)
      if (field.includes('"')) throw new BadLine('a quote inside an unquoted field')
      i = end < 0 ? line.length : end
    }
    fields.push(field)
    if (i >= line.length) return fields
    i++ // the comma
  }
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/

function csvNumber(cell: string, column: string): number {
  const t = cell.trim()
  if (!NUMBER.test(t)) throw new BadLine(`"${column}" is not a number (found ${JSON.stringify(cell)})`)
  const v = Number(t)
  if (!Number.isFinite(v)) throw new BadLine(`"${column}" is out of range (found ${JSON.stringify(cell)})`)
  return v
}

function* csvPoints(text: string): Generator<{ line: number; point?: [string, number, number]; error?: string }> {
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l))
  let h = 0
  while (h < lines.length && lines[h]!.trim() === '') h++
  let header: string[]
  try {
    header = csvFields(lines[h]!)
  } catch (e) {
    throw new ParseError(h + 1, `bad CSV header: ${(e as Error).message}`)
  }
  const col = (name: string): number => {
    const i = header.indexOf(name)
    if (i < 0) throw new ParseError(h + 1, `the CSV header has no "${name}" column (found ${header.join(',')})`)
    return i
  }
  const [si, ti, vi] = [col('series'), col('ts'), col('value')]
  for (let i = h + 1; i < lines.length; i++) {
    if (lines[i]!.trim() === '') continue
    try {
      const fields = csvFields(lines[i]!)
      if (fields.length !== header.length) throw new BadLine(`${fields.length} fields, the header has ${header.length}`)
      const series = fields[si]!
      if (series === '') throw new BadLine('"series" is empty')
      const tsCell = fields[ti]!
      const ts = NUMBER.test(tsCell.trim()) ? csvNumber(tsCell, 'ts') : isoToEpochMs(tsCell)
      const vCell = fields[vi]!
      const value = vCell === '' || vCell === 'NaN' || vCell === 'nan' ? NaN : csvNumber(vCell, 'value')
      yield { line: i + 1, point: [series, ts, value] }
    } catch (e) {
      if (!(e instanceof BadLine)) throw e
      yield { line: i + 1, error: e.message }
    }
  }
}

function* ndjsonPoints(text: string): Generator<{ line: number; point?: [string, number, number]; error?: string }> {
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    if (line.trim() === '') continue
    try {
      yield { line: i + 1, point: ndjsonPoint(line) }
    } catch (e) {
      if (!(e instanceof BadLine)) throw e
      yield { line: i + 1, error: e.message }
    }
  }
}

/** Parses a batch (format detected from the first non-blank character unless given). */
export function parseBatch(input: Uint8Array | string, format?: Format, onBadLine: BadLinePolicy = 'fail'): Batch {
  let text = typeof input === 'string' ? input : new TextDecoder().decode(input)
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
  const first = text.trimStart()[0]
  if (first === undefined) return { series: [], points: 0, badLines: 0, badLineNumbers: [] }
  const fmt = format ?? (first === '{' ? 'ndjson' : 'csv')

  const groups = new Map<string, { ts: number[]; values: number[] }>()
  let points = 0
  let badLines = 0
  const badLineNumbers: number[] = []
  for (const { line, point, error } of fmt === 'ndjson' ? ndjsonPoints(text) : csvPoints(text)) {
    if (!point) {
      if (onBadLine === 'fail') throw new ParseError(line, error!)
      badLines++
      if (badLineNumbers.length < 20) badLineNumbers.push(line)
      continue
    }
    const [id, ts, value] = point
    let g = groups.get(id)
    if (!g) groups.set(id, (g = { ts: [], values: [] }))
    g.ts.push(ts)
    g.values.push(value)
    points++
  }

  const series: Series[] = []
  for (const [id, g] of groups) {
    const order = g.ts.map((_, i) => i).sort((a, b) => g.ts[a]! - g.ts[b]!) // Array#sort is stable
    series.push({ id, ts: order.map((i) => g.ts[i]!), values: order.map((i) => g.values[i]!) })
  }
  return { series, points, badLines, badLineNumbers }
}
