// Fault injection for tests, off unless a test sets the variable: the test
// creates a file and names it in the environment, and the first process to
// delete it (atomic: one wins) acts. Lets a test put a fault at an exact point.
import { unlinkSync } from 'node:fs'

/** True once, in the one process that deletes the file named by `process.env[variable]`. */
export function claimTestFile(variable: string): boolean {
  const file = process.env[variable]
  if (!file) return false
  try {
    unlinkSync(file)
    return true
  } catch {
    return false
  }
}
