// Reads a Server-Sent Events stream (the operator's /api/events) the way a browser would.

/** One received event. */
export interface SseEvent {
  event: string;
  data: unknown;
  id?: string;
}

/** An open stream that collects events; `waitFor` resolves with the first that matches. */
export class SseStream {
  readonly events: SseEvent[] = [];
  readonly #ac = new AbortController();
  readonly #waiters = new Set<() => void>();
  readonly done: Promise<void>;

  constructor(readonly url: string) {
    this.done = this.#read().catch(() => undefined);
  }

  async #read(): Promise<void> {
    const res = await fetch(this.url, { signal: this.#ac.signal, headers: { Accept: 'text/event-stream' } });
    if (!res.ok || !res.body) throw new Error(`${this.url}: HTTP ${res.status}`);
    const decoder = new TextDecoder();
    let buf = '';
    for await (const chunk of res.body) {
      buf += decoder.decode(chunk as Uint8Array, { stream: true });
      let end: number;
      while ((end = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, end);
        buf = buf.slice(end + 2);
        const fields: Record<string, string> = {};
        for (const line of block.split('\n')) {
          const i = line.indexOf(':');
          if (i <= 0) continue;
          const k = line.slice(0, i);
          const v = line.slice(i + 1).replace(/^ /, '');
          fields[k] = k === 'data' && fields.data !== undefined ? `${fields.data}\n${v}` : v;
        }
        if (fields.data === undefined) continue;
        this.events.push({
          event: fields.event ?? 'message',
          data: JSON.parse(fields.data),
          ...(fields.id ? { id: fields.id } : {}),
        });
        for (const w of this.#waiters) w();
      }
    }
  }

  /** The first event (from index `from`) that matches, within `ms`. */
  waitFor(match: (e: SseEvent) => boolean, ms: number, from = 0): Promise<SseEvent> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const hit = this.events.slice(from).find(match);
        if (hit) {
          cleanup();
          resolve(hit);
        }
        return !!hit;
      };
      const timer = setTimeout(() => {
        cleanup();
        const seen = this.events.slice(-8).map((e) => `${e.event} ${JSON.stringify(e.data).slice(0, 160)}`);
        reject(new Error(`${this.url}: no matching event within ${ms} ms; last:\n  ${seen.join('\n  ')}`));
      }, ms);
      const waiter = (): void => void check();
      const cleanup = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(waiter);
      };
      if (!check()) this.#waiters.add(waiter);
    });
  }

  close(): void {
    this.#ac.abort();
  }
}
