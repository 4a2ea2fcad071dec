// K8 Highlander's "system" gauges, read from Node at scrape time. Its own code set them to fixed
// placeholder numbers; these are the real figures of this process and its host.
import { loadavg } from 'node:os';
import { Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import { P } from './metric-prefix.ts';

/** Registers memory_usage_bytes, system_load and goroutine_count in `registry`. */
export function registerProcessMetrics(registry: Registry): void {
  new Gauge({
    name: `${P}memory_usage_bytes`,
    help: 'Resident set size of this process in bytes (what a container memory limit counts)',
    registers: [registry],
    collect() {
      this.set(process.memoryUsage.rss());
    },
  });
  new Gauge({
    name: `${P}system_load`,
    help: "The host's 1-minute load average",
    registers: [registry],
    collect() {
      this.set(loadavg()[0] ?? 0);
    },
  });
  // Node has no goroutines. The nearest count of concurrent work is what the event loop waits on
  // (sockets, timers, pending I/O): like a goroutine count, it climbs when something leaks.
  new Gauge({
    name: `${P}goroutine_count`,
    help: 'Node has no goroutines: the number of active resources the event loop waits on (sockets, timers, pending I/O)',
    registers: [registry],
    collect() {
      this.set(process.getActiveResourcesInfo().length);
    },
  });
}
