/** "1 contact", "2 contacts", "0 lines": a count with its noun, in the number a person expects. */
export function counted(n: number, noun: string, plural = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : plural}`;
}
