// Prometheus text from an operator's /metrics: samples by name, summed, and a sampler of the
// workqueue depth (benchmarks and the chaos suite read the operators through it).

/** One sample: labels and value. */
export interface Sample {
  labels: Record<string, string>;
  value: number;
}

/** The samples of metric `name` in Prometheus text format. */
export function samples(text: string, name: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ labels, value: Number(m[3]) });
  }
  return out;
}

/** The sum of the samples' values. */
export const sum = (xs: readonly Sample[]): number => xs.reduce((a, s) => a + s.value, 0);

/** GET /metrics of the operator on `port`. */
export async function scrape(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`GET :${port}/metrics: HTTP ${res.status}`);
  return res.text();
}

/** Polls an operator's workqueue depth every second and remembers the peak (all four queues together). */
export class DepthSampler {
  #timer: NodeJS.Timeout | undefined;
  #busy = false;
  max = 0;
  last = 0;
  errors = 0;

  start(port: number): this {
    this.#timer = setInterval(() => {
      if (this.#busy) return;
      this.#busy = true;
      scrape(port)
        .then((text) => {
          this.last = sum(samples(text, 'workqueue_depth'));
          this.max = Math.max(this.max, this.last);
        })
        .catch(() => {
          this.errors += 1; // a killed leader stops answering; the count says how often
        })
        .finally(() => {
          this.#busy = false;
        });
    }, 1000);
    return this;
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
