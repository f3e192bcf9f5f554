// The benchmark suite's module graph: no import circle (type-only imports count: they tie the
// modules together for a reader as much as value imports), and bench/lib, the shared helpers,
// imports nothing of the suite but bench/lib and the baseline (a section or a peer is built on
// lib, never the other way round).
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'

import test from 'ava'

const ROOT = join(import.meta.dirname, '..')
const BENCH = join(ROOT, 'bench')

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [join(dir, e.name)] : [],
  )
}

/** The relative modules a file imports or re-exports (static, `import type`, dynamic), as .ts paths. */
function importsOf(file: string, source: string): string[] {
  const specifiers = [
    ...source.matchAll(/^\s*(?:import|export)\b[^'"]*?\bfrom\s*['"]([^'"]+)['"]/gms),
    ...source.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gm),
    ...source.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g),
  ].map((m) => m[1]!)
  return specifiers.filter((s) => s.startsWith('.')).map((s) => resolve(dirname(file), s).replace(/\.js$/, '.ts'))
}

/** Every circle of the graph, each as the list of modules along it (one per strongly connected part). */
function circles(graph: Map<string, string[]>): string[][] {
  // Tarjan's strongly connected components; a component of two or more, or a self-import, is a circle.
  let next = 0
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const found: string[][] = []
  const visit = (v: string): void => {
    index.set(v, next)
    low.set(v, next++)
    stack.push(v)
    onStack.add(v)
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue
      if (!index.has(w)) {
        visit(w)
        low.set(v, Math.min(low.get(v)!, low.get(w)!))
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!))
    }
    if (low.get(v) === index.get(v)) {
      const part: string[] = []
      let w: string
      do {
        w = stack.pop()!
        onStack.delete(w)
        part.push(w)
      } while (w !== v)
      if (part.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(part.reverse())
    }
  }
  for (const v of graph.keys()) if (!index.has(v)) visit(v)
  return found
}

const graph = new Map(tsFiles(BENCH).map((f) => [f, importsOf(f, readFileSync(f, 'utf8'))]))
const name = (f: string) => relative(ROOT, f)

test('the circle finder finds a circle of type-only imports and a self-import, and none in a tree', (t) => {
  const a = '/x/a.ts'
  const b = '/x/b.ts'
  const c = '/x/c.ts'
  t.deepEqual(importsOf(a, "import type { B } from './b.js'\nexport { c } from './c.js'\nimport { x,\n  y } from 'pkg'\n"), [b, c])
  t.deepEqual(circles(new Map([[a, [b]], [b, [a]], [c, []]])).map((p) => p.sort()), [[a, b]])
  t.deepEqual(circles(new Map([[a, [a]]])), [[a]])
  t.deepEqual(circles(new Map([[a, [b, c]], [b, [c]], [c, []]])), [])
})

test('bench/ has no import circle', (t) => {
  t.true(graph.size > 20, `found only ${graph.size} modules under bench/`)
  t.deepEqual(circles(graph).map((part) => part.map(name).join(' -> ')), [])
})

test('bench/lib imports no section, peer or entry point of bench/', (t) => {
  const lib = join(BENCH, 'lib')
  const outward = [...graph].flatMap(([f, deps]) =>
    f.startsWith(lib + '/') ? deps.filter((d) => d.startsWith(BENCH + '/') && !d.startsWith(lib + '/') && !d.startsWith(join(BENCH, 'baseline') + '/')).map((d) => `${name(f)} -> ${name(d)}`) : [],
  )
  t.deepEqual(outward, [])
})
