// One temporary directory per run (spill files, staged stdin), removed when
// the run ends: on success, failure or signal by its owner, and as a last
// resort when the process exits.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export class TempDir {
  readonly path: string
  private removed = false
  private readonly onExit = () => this.remove()

  /** Creates `<prefix>XXXXXX` under `parent` (default `os.tmpdir()`). */
  constructor(parent: string = tmpdir(), prefix = 'conclude-') {
    try {
      this.path = mkdtempSync(join(parent, prefix))
    } catch (e) {
      const err = e as NodeJS.ErrnoException
      throw Object.assign(new Error(`cannot create a temporary directory under ${parent}: ${err.message}`), { code: 'ERR_CONCLUDE_IO' })
    }
    process.on('exit', this.onExit)
  }

  file(name: string): string {
    return join(this.path, name)
  }

  /** Removes one file of the directory early (a staged input once partitioned). */
  removeFile(path: string): void {
    rmSync(path, { force: true })
  }

  /** Removes the directory and everything in it (once; later calls do nothing). */
  remove(): void {
    if (this.removed) return
    this.removed = true
    process.off('exit', this.onExit)
    rmSync(this.path, { recursive: true, force: true })
  }
}
