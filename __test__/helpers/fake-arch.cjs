// Preloaded with `node -r` by loader.spec.ts: makes the generated loader see an
// architecture conclude ships no binary for, as on an unsupported machine.
Object.defineProperty(process, 'arch', { value: 'riscv64' })
