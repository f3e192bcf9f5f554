// How a --memory budget sizes the streaming input: the chunks the primary reads
// while partitioning, the partitions, and the units the workers analyse.

/** The default --memory: what all processes of a run together should stay near. */
export const DEFAULT_MEMORY_BYTES = 1 << 30

/** Bytes per point a unit takes while analysed (points, sort, the analyses' scratch, messages). */
export const UNIT_BYTES_PER_POINT = 160

/** What a Node process with the engine and kafkajs takes before any work. */
const PROCESS_BASE_BYTES = 64 << 20

export interface Budget {
  /** Bytes the primary reads per chunk (a few chunks at once per engine thread). */
  chunkBytes: number
  /** Target points per partition: a quarter of a unit, so units can be filled evenly. */
  partitionPoints: number
  /** Target points per unit: partitions are gathered until a unit reaches it. */
  unitPoints: number
  /** Points a unit may hold within the budget; only a partition alone exceeds it. */
  unitMaxPoints: number
}

export function budget(memoryBytes: number, workers: number, inFlightPerWorker: number, unitPoints: number): Budget {
  const spare = Math.max(memoryBytes - PROCESS_BASE_BYTES * (workers + 1), memoryBytes / 4)
  const unitMaxPoints = Math.max(1, Math.floor(spare / (workers * inFlightPerWorker) / UNIT_BYTES_PER_POINT))
  const target = Math.max(1, Math.min(unitPoints, unitMaxPoints))
  return {
    chunkBytes: Math.min(16 << 20, Math.max(4 << 10, Math.floor(memoryBytes / 64))),
    partitionPoints: Math.max(1, Math.floor(target / 4)),
    unitPoints: target,
    unitMaxPoints,
  }
}

/**
 * Bytes of spill a run may keep in memory: what the budget leaves once every process has its
 * base and every unit in flight its points at the target size.
 */
export function memorySpillBytes(memoryBytes: number, processes: number, unitsInFlight: number, b: Budget): number {
  return Math.max(0, memoryBytes - PROCESS_BASE_BYTES * processes - unitsInFlight * b.unitPoints * UNIT_BYTES_PER_POINT)
}
