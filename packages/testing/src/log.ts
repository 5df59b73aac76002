/** Writes one line to stderr with the package prefix. */
export function logLine(message: string): void {
  process.stderr.write(`[locks/testing] ${message}\n`);
}
