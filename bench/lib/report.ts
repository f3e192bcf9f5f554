// Turns the suite's results into Markdown tables and an SVG chart of the main comparison.
import type { CompareRow } from './comparison.js'
import type { Timing } from './measure.js'

export function fmtMs(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '–'
  if (ms >= 2 * 86_400_000) return `${(ms / 86_400_000).toFixed(0)} days`
  if (ms >= 2 * 3_600_000) return `${(ms / 3_600_000).toFixed(1)} h`
  if (ms >= 180_000) return `${(ms / 60_000).toFixed(0)} min`
  if (ms >= 100_000) return `${(ms / 1000).toFixed(0)} s`
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`
  if (ms >= 1_000) return `${(ms / 1000).toFixed(2)} s`
  if (ms >= 100) return `${ms.toFixed(0)} ms`
  if (ms >= 10) return `${ms.toFixed(1)} ms`
  return `${ms.toFixed(2)} ms`
}

export function fmtTiming(t: Timing | undefined): string {
  if (!t) return '–'
  return t.estimate ? `~${fmtMs(t.ms)}*` : fmtMs(t.ms)
}

export function table(head: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n')
}

const NATIVE = 'conclude analyzeNative'

/** One table per workload: analyses down, implementations across, with the factor to native. */
export function compareTables(rows: CompareRow[]): string {
  const out: string[] = []
  for (const workload of [...new Set(rows.map((r) => r.workload))]) {
    const mine = rows.filter((r) => r.workload === workload)
    const impls = [...new Set(mine.map((r) => r.impl))]
    const analyses = [...new Set(mine.map((r) => r.analysis))]
    const body = analyses.map((a) => {
      const native = mine.find((r) => r.analysis === a && r.impl === NATIVE)?.timing?.ms
      return [
        `**${a}**`,
        ...impls.map((impl) => {
          const r = mine.find((x) => x.analysis === a && x.impl === impl)
          if (!r) return 'n/a'
          if (!r.timing) return `skipped`
          const factor = native && impl !== NATIVE ? ` (${(r.timing.ms / native).toFixed(r.timing.ms / native >= 10 ? 0 : 1)}x)` : ''
          return fmtTiming(r.timing) + factor + (r.note ? ' †' : '')
        }),
      ]
    })
    out.push(`**${workload}**\n\n${table(['analysis', ...impls], body)}`)
  }
  const estimates = rows.filter((r) => r.timing?.estimate)
  const skipped = rows.filter((r) => r.skipped)
  const notes: string[] = []
  if (estimates.length) {
    notes.push('\\* estimated: the implementation could not finish the whole workload in its time budget, so it ran on a part and the total is scaled from it: linearly in series (they are independent and alike), or, for the one-series workload, by the power law fitted on its last two sizes:')
    for (const r of estimates) notes.push(`  - ${r.workload} ${r.analysis}, ${r.impl}: ${fmtMs(r.timing!.estimate!.measuredMs)} on ${r.timing!.estimate!.on}, ${r.timing!.estimate!.method}`)
  }
  for (const r of skipped) notes.push(`- ${r.workload} ${r.analysis}, ${r.impl}: skipped, ${r.skipped}`)
  for (const r of rows.filter((x) => x.note)) notes.push(`- † ${r.workload} ${r.analysis}, ${r.impl}: ${r.note}`)
  return out.join('\n\n') + (notes.length ? `\n\n${notes.join('\n')}` : '')
}

const COLORS = ['#1b6ac9', '#5aa0f0', '#e07b39', '#7f8c8d', '#2e9e5b', '#b5489c']

/** Horizontal bars on a log scale: one group per analysis, one bar per implementation. */
export function compareSvg(rows: CompareRow[], workload: string, title: string): string {
  const mine = rows.filter((r) => r.workload === workload && r.timing)
  const impls = [...new Set(mine.map((r) => r.impl))]
  const analyses = [...new Set(mine.map((r) => r.analysis))]
  const values = mine.map((r) => r.timing!.ms)
  const lo = Math.floor(Math.log10(Math.min(...values)))
  const hi = Math.ceil(Math.log10(Math.max(...values)))
  const barH = 14
  const gap = 10
  const left = 110
  const width = 760
  const plotW = width - left - 120
  const groupH = impls.length * barH + gap
  const top = 40
  const height = top + analyses.length * groupH + 30 + impls.length * 18
  const x = (ms: number) => left + ((Math.log10(ms) - lo) / (hi - lo)) * plotW
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;')
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="Helvetica, Arial, sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${left}" y="18" font-size="13" font-weight="bold">${esc(title)}</text>`,
  ]
  for (let e = lo; e <= hi; e++) {
    const gx = x(10 ** e)
    parts.push(`<line x1="${gx}" y1="${top - 8}" x2="${gx}" y2="${top + analyses.length * groupH}" stroke="#ddd"/>`)
    parts.push(`<text x="${gx}" y="${top + analyses.length * groupH + 12}" text-anchor="middle" fill="#555">${esc(fmtMs(10 ** e))}</text>`)
  }
  analyses.forEach((a, gi) => {
    const gy = top + gi * groupH
    parts.push(`<text x="${left - 8}" y="${gy + (impls.length * barH) / 2 + 4}" text-anchor="end" font-weight="bold">${esc(a)}</text>`)
    impls.forEach((impl, ii) => {
      const r = mine.find((m) => m.analysis === a && m.impl === impl)
      if (!r) return
      const w = Math.max(1, x(r.timing!.ms) - left)
      const y = gy + ii * barH
      parts.push(`<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${barH - 2}" fill="${COLORS[ii % COLORS.length]}"${r.timing!.estimate ? ' fill-opacity="0.55"' : ''}/>`)
      parts.push(`<text x="${(left + w + 4).toFixed(1)}" y="${y + barH - 4}" fill="#333">${esc(fmtTiming(r.timing))}</text>`)
    })
  })
  const ly = top + analyses.length * groupH + 26
  impls.forEach((impl, ii) => {
    parts.push(`<rect x="${left}" y="${ly + ii * 18}" width="12" height="12" fill="${COLORS[ii % COLORS.length]}"/>`)
    parts.push(`<text x="${left + 18}" y="${ly + ii * 18 + 10}">${esc(impl)}</text>`)
  })
  parts.push(`<text x="${width - 10}" y="${height - 6}" text-anchor="end" fill="#777">log scale; pale bars are estimates (see the table)</text>`)
  parts.push('</svg>')
  return parts.join('\n')
}
