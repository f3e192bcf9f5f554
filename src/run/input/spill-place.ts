// Where a run's spill files go. In memory (a tmpfs: /dev/shm on Linux) when the spill fits in
// what the --memory budget leaves beside the processes, and the tmpfs has room for it; on disk
// (the OS temp folder) otherwise, or when the user names a folder (--tmp-dir). Writing the spill
// to disk costs more than the parse on some machines: on this one's ext4, 231 MB of spill took
// from 0.07 s to 2.9 s of system time, pass to pass, and 0.11-0.13 s on its tmpfs
// (docs/streaming.md, "Where the spill goes").
//
// Each spill is removed as soon as its units are settled (`release`), so memory and disk hold
// only the spills of inputs still in flight, not every input of the run.
import { closeSync, existsSync, openSync, readdirSync, readSync, rmSync, statfsSync, statSync } from 'node:fs'
import { join } from 'node:path'

import { TempDir } from './temp-dir.js'

/** statfs's f_type of a tmpfs. */
const TMPFS_MAGIC = 0x01021994
/** The tmpfs tried for spills in memory. */
export const MEMORY_ROOT = '/dev/shm'
/** Bytes a point takes in a spill file at most: an 8-byte value and a tagged 8-byte ts. */
const SPILL_BYTES_PER_POINT = 17
/** Bytes of an input read to estimate its points. */
const SAMPLE_BYTES = 1 << 20
/** An estimate is only that: the spill must fit with this much to spare. */
const MARGIN = 1.25
/** At most this share of the tmpfs's free space, which other programs use too. */
const TMPFS_SHARE = 0.5

export type SpillMedium = 'memory' | 'disk'

export interface SpillPlace {
  path: string
  medium: SpillMedium
  /** A memory spill's limit: what the quota and the tmpfs have left for it (the engine stops it past that). */
  maxBytes?: number
}

export interface SpillPlaceOptions {
  /** The user's folder for spills (--tmp-dir): always used when given. */
  tmpDir?: string
  /** Bytes of spill the run may keep in memory at once (0: none). */
  memoryBytes: number
  /** The tmpfs to use (default MEMORY_ROOT); null: none. */
  memoryRoot?: string | null
}

/**
 * An input file's points (its lines), estimated from its size and the lines of its first MiB;
 * Infinity if it is no regular file (a named pipe, `<(zcat x.gz)`: what is read from it here
 * would be lost to the engine, and opening one may wait for its writer) or cannot be read (the
 * engine then says why, as it reads it).
 */
export function estimatePoints(path: string): number {
  let fd: number
  let size: number
  try {
    const stat = statSync(path)
    if (!stat.isFile()) return Infinity
    size = stat.size
    fd = openSync(path, 'r')
  } catch {
    return Infinity
  }
  try {
    const sample = Buffer.allocUnsafe(Math.min(size, SAMPLE_BYTES))
    let read = 0
    while (read < sample.length) {
      const n = readSync(fd, sample, read, sample.length - read, read)
      if (n === 0) break
      read += n
    }
    let lines = 1
    for (let at = sample.indexOf(10, 0); at !== -1 && at < read; at = sample.indexOf(10, at + 1)) lines++
    return Math.ceil((lines * size) / Math.max(read, 1))
  } finally {
    closeSync(fd)
  }
}

/** The spill's size for an input file, estimated from its points. */
export function estimateSpillBytes(path: string): number {
  return estimatePoints(path) * SPILL_BYTES_PER_POINT
}

/** Free bytes of `root` if it is a tmpfs, else undefined. */
function tmpfsFree(root: string): number | undefined {
  if (process.platform !== 'linux' || !existsSync(root)) return undefined
  try {
    const s = statfsSync(root)
    return s.type === TMPFS_MAGIC ? s.bavail * s.bsize : undefined
  } catch {
    return undefined
  }
}

/**
 * Removes `conclude-<pid>-*` folders under `root` whose process is gone (one killed with
 * SIGKILL cannot remove its own, and a tmpfs holds memory until it is).
 */
export function sweepStale(root: string): void {
  let names: string[]
  try {
    names = readdirSync(root)
  } catch {
    return
  }
  for (const name of names) {
    const m = /^conclude-(\d+)-/.exec(name)
    if (!m) continue
    try {
      process.kill(Number(m[1]), 0)
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ESRCH') rmSync(join(root, name), { recursive: true, force: true })
    }
  }
}

/** The spill files of one run: where each goes, and what the memory ones hold. */
export class SpillPlaces {
  /** Spills that go to disk (and stdin staged on Windows). */
  readonly disk: TempDir
  private memory?: TempDir
  private readonly memoryRoot: string | null
  /** Memory spills not yet released, and the bytes each holds. */
  private readonly held = new Map<string, number>()

  constructor(private readonly o: SpillPlaceOptions) {
    this.disk = new TempDir(o.tmpDir)
    this.memoryRoot = o.tmpDir !== undefined || o.memoryBytes <= 0 ? null : (o.memoryRoot === undefined ? MEMORY_ROOT : o.memoryRoot)
  }

  /** Bytes the memory spills not yet released hold. */
  get inMemory(): number {
    let sum = 0
    for (const bytes of this.held.values()) sum += bytes
    return sum
  }

  /** Where the spill `name` of an input of about `estimate` bytes goes. */
  place(name: string, estimate: number): SpillPlace {
    const room = this.memoryRoom()
    const dir = room > 0 && estimate * MARGIN <= room ? this.memoryDir() : undefined
    if (!dir) return this.onDisk(name)
    const path = dir.file(name)
    this.held.set(path, estimate * MARGIN)
    return { path, medium: 'memory', maxBytes: Math.max(1, Math.floor(room)) }
  }

  /** The spill `name` on disk, wherever it would fit. */
  onDisk(name: string): SpillPlace {
    return { path: this.disk.file(name), medium: 'disk' }
  }

  /** What a memory spill holds now that it is written. */
  written(place: SpillPlace, bytes: number): void {
    if (this.held.has(place.path)) this.held.set(place.path, bytes)
  }

  /** The spill is done with: removed, its memory given back. */
  release(path: string): void {
    this.held.delete(path)
    rmSync(path, { force: true })
  }

  /** Removes every spill (once; later calls do nothing). */
  remove(): void {
    this.held.clear()
    this.memory?.remove()
    this.disk.remove()
  }

  /** Bytes a new memory spill may take: what the quota has left, within the tmpfs's share. */
  private memoryRoom(): number {
    if (this.memoryRoot === null) return 0
    const free = tmpfsFree(this.memoryRoot)
    return free === undefined ? 0 : Math.min(this.o.memoryBytes - this.inMemory, free * TMPFS_SHARE)
  }

  private memoryDir(): TempDir | undefined {
    if (this.memory) return this.memory
    try {
      sweepStale(this.memoryRoot!)
      this.memory = new TempDir(this.memoryRoot!, `conclude-${process.pid}-`)
      return this.memory
    } catch {
      return undefined
    }
  }
}

/**
 * Whether an engine error says a spill ran out of room: the file system was full (`ENOSPC`), or
 * it passed its `maxBytes` (a memory spill whose estimate fell short of it).
 */
export function isOutOfRoom(e: unknown): boolean {
  return /\(os error 28\)$|^writing the spill file: over its limit of \d+ bytes$/.test(String((e as Error)?.message))
}
