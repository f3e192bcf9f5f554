// One line for an error: its code, then its message, without saying the code
// twice (Node's own errors start their message with it: `ENOENT: no such file`).

export function errorText(e: unknown): string {
  const err = e as { message?: string; code?: string } | undefined
  const message = err?.message ?? String(e)
  if (!err?.code || message.startsWith(`${err.code}:`)) return message
  return `${err.code}: ${message}`
}
