// The environment that loads ./faults.mjs into `conclude` and its workers,
// with the fault variables a spec sets (see faults.mjs for what each does).
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

const HOOKS = pathToFileURL(join(import.meta.dirname, 'faults.mjs')).href

export function faultEnv(vars: Record<string, string>): Record<string, string> {
  return { ...vars, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${HOOKS}`.trim() }
}
