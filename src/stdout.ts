// This process's stdout, written with back-pressure: the stdout sink of a
// single process and the primary of `conclude run` (which writes what its
// workers' stdout sinks hand it) both write through here.
import { once } from 'node:events'

/** Writes to stdout, waiting for 'drain' when its buffer is full. */
export async function writeStdout(bytes: Buffer): Promise<void> {
  if (!process.stdout.write(bytes)) await once(process.stdout, 'drain')
}
