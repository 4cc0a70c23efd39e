/**
 * How a duration reads to a person, in the CLI and in the studio alike: microseconds under a
 * millisecond ("42 µs", never "0.0 ms"), whole milliseconds under a second, seconds with two
 * decimals under ten seconds, then minutes. One function, so a fix lands in both hosts at once.
 */

export interface DurationStyle {
  /** A space between number and unit ("42 ms"), as the studio writes; the CLI writes "42ms". */
  space?: boolean
}

export function formatDuration(ms: number, style: DurationStyle = {}): string {
  const u = (value: string | number, unit: string) => `${value}${style.space ? ' ' : ''}${unit}`
  if (ms < 0.001) return `<${u(1, 'µs')}`
  if (ms < 1) return u(Math.round(ms * 1000), 'µs')
  if (ms < 1000) return u(Math.round(ms), 'ms')
  if (ms < 60_000) return u((ms / 1000).toFixed(ms < 10_000 ? 2 : 1), 's')
  const minutes = Math.floor(ms / 60_000)
  return `${u(minutes, 'm')} ${u(Math.round((ms % 60_000) / 1000), 's')}`
}
