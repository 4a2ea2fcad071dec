// Durations as K8 Highlander's (Go) config files write them: "15s", "500ms", "1m30s", "2h".

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses a Go-style duration into milliseconds; undefined when `text` is not one. */
export function parseDuration(text: string): number | undefined {
  const s = text.trim();
  if (s === '0') return 0;
  if (!/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(s)) return undefined;
  let total = 0;
  for (const m of s.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) total += Number(m[1]) * UNITS[m[2]!]!;
  return Math.round(total);
}

/**
 * Milliseconds as a config file writes them, and {@link parseDuration} reads them back: whole
 * seconds in Go's units ("15s", "1m30s", "2h"), anything finer in milliseconds ("2400ms").
 */
export function formatDuration(ms: number): string {
  if (!Number.isInteger(ms / 1000)) return `${Math.round(ms)}ms`;
  return ms === 0 ? '0s' : goUnits(ms / 1000, false);
}

/** "1h2m3s", "1h0m0s", "4s": Go's Duration.String() rounded down to the second (K8 Highlander's uptime). */
export function formatGoDuration(ms: number): string {
  return goUnits(Math.floor(Math.max(0, ms) / 1000), true);
}

/** "3d4h", "2h5m", "4m3s", "9s": the age column of kubectl. */
export function formatAge(ms: number): string {
  let s = Math.max(0, Math.round(ms / 1000));
  const d = Math.floor(s / 86_400);
  s -= d * 86_400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  if (d > 0) return `${d}d${h}h`;
  if (h > 0) return `${h}h${m}m`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}

/** Seconds in hours, minutes and seconds; Go prints the smaller units once a larger one shows. */
function goUnits(seconds: number, zeros: boolean): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (zeros) return `${h ? `${h}h` : ''}${h || m ? `${m}m` : ''}${s}s`;
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s || (!h && !m) ? `${s}s` : ''}`;
}
