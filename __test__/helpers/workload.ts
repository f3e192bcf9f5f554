// Deterministic synthetic batches for tests (seeded, no Math.random).
import { mulberry32 as rng } from '../../src/gen/random.js'

/** NDJSON of `series` series x `points` points: noise, a level shift, a trend and a few spikes. */
export function ndjson(series: number, points: number, seed = 1): Buffer {
  const r = rng(seed)
  const lines: string[] = []
  for (let s = 0; s < series; s++) {
    const shiftAt = Math.floor(points * (0.3 + 0.4 * r()))
    const slope = (r() - 0.5) * 0.01
    for (let i = 0; i < points; i++) {
      let v = (r() + r() + r() - 1.5) + slope * i + (i >= shiftAt ? 5 : 0)
      if (r() < 0.002) v += 40
      lines.push(`{"series":"host-${s}.cpu","ts":${1_700_000_000 + 60 * i},"value":${v.toFixed(4)}}`)
    }
  }
  return Buffer.from(lines.join('\n') + '\n')
}
