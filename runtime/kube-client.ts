// JSON over HTTPS to the API server, for the writes a controller makes: every request has a
// deadline and may carry an AbortSignal, and a `beforeSend` check runs synchronously just before
// the request leaves, so a controller can refuse to send once its lease is no longer safely held.
// Keep-alive connections per client (runtime/agent-pool.ts).
import { request } from 'node:https';
import type { RequestOptions } from 'node:https';
import { AgentPool } from './agent-pool.ts';
import type { KubeAccess } from './kube-access.ts';

/** Content types of the patch strategies the API server takes. */
export const PATCH = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  apply: 'application/apply-patch+yaml',
} as const;

/** A request the API server answered with an error status. */
export class KubeApiError extends Error {
  override readonly name = 'KubeApiError';
  constructor(
    /** The HTTP status. */
    readonly code: number,
    /** The Status reason (AlreadyExists, Conflict, Invalid, Forbidden, …), when the server gave one. */
    readonly reason: string | undefined,
    message: string,
    /** The answer as sent (usually a Status object). */
    readonly body: unknown,
  ) {
    super(message);
  }
}

/** One request. */
export interface KubeRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** e.g. /api/v1/namespaces/ns/pods/p */
  path: string;
  query?: Record<string, string | undefined>;
  body?: unknown;
  /** Defaults to application/json when there is a body. */
  contentType?: string;
  /** Aborts the request (the server may still have acted on it). */
  signal?: AbortSignal;
  /** The client gives up after this long (default: the client's). */
  timeoutMs?: number;
  /**
   * Runs synchronously right before the request is sent; throwing stops it. It may return a
   * shorter deadline than `timeoutMs` (the time a lease is still safely held, say).
   */
  beforeSend?: () => number | void;
}

/** The HTTP status of an API error from this client or from client-node (undefined: not one). */
export function statusCodeOf(err: unknown): number | undefined {
  if (err instanceof KubeApiError) return err.code;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** A client of one API server, as `kc` names it. */
export class KubeClient {
  readonly #kc: KubeAccess;
  readonly #timeoutMs: number;
  readonly #agents = new AgentPool();

  constructor(kc: KubeAccess, opts: { timeoutMs?: number } = {}) {
    this.#kc = kc;
    this.#timeoutMs = opts.timeoutMs ?? 10_000;
  }

  /** Sends `r` and resolves with the decoded answer; rejects with {@link KubeApiError} on a status ≥ 300. */
  async send<T = unknown>(r: KubeRequest): Promise<T> {
    const server = this.#kc.getCurrentCluster()?.server;
    if (!server) throw new Error('kubeconfig has no current cluster');
    const url = new URL(r.path, server);
    for (const [k, v] of Object.entries(r.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    const opts: RequestOptions = { method: r.method, headers: { Accept: 'application/json' } };
    await this.#kc.applyToHTTPSOptions(opts);
    opts.agent = this.#agents.for(opts);
    const payload = r.body === undefined ? undefined : JSON.stringify(r.body);
    if (payload !== undefined) {
      // The length is always given: Node frames no body of a DELETE (its DeleteOptions with the
      // preconditions) unless told, and the server would read it as the next request.
      opts.headers = {
        ...opts.headers,
        'Content-Type': r.contentType ?? 'application/json',
        'Content-Length': Buffer.byteLength(payload),
      };
    }
    const timeoutMs = r.timeoutMs ?? this.#timeoutMs;
    const budget = r.beforeSend?.();
    const text = await exchange(
      url,
      opts,
      payload,
      r.signal,
      Math.max(1, Math.floor(Math.min(timeoutMs, budget ?? timeoutMs))),
    );
    return decode<T>(r, text);
  }

  /** Closes idle connections. */
  close(): void {
    this.#agents.close();
  }
}

/** The status and body of one HTTPS exchange. */
function exchange(
  url: URL,
  opts: RequestOptions,
  payload: string | undefined,
  signal: AbortSignal | undefined,
  timeoutMs: number,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const deadline = AbortSignal.timeout(timeoutMs);
    const req = request(url, { ...opts, signal: signal ? AbortSignal.any([signal, deadline]) : deadline }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', (err) =>
      reject(
        deadline.aborted
          ? new Error(`${opts.method} ${url.pathname}: no answer within ${timeoutMs} ms`, { cause: err })
          : err,
      ),
    );
    req.end(payload);
  });
}

function decode<T>(r: KubeRequest, { status, text }: { status: number; text: string }): T {
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  if (status >= 300) {
    const s = (body ?? {}) as { message?: unknown; reason?: unknown };
    // A Status's message, else the text the server answered (a proxy's or a decoder's error).
    const message = serverMessage(body) ?? `HTTP ${status}`;
    throw new KubeApiError(
      status,
      typeof s.reason === 'string' ? s.reason : undefined,
      `${r.method} ${r.path}: ${message}`,
      body,
    );
  }
  return body as T;
}

/** The API server's own message from a Status body (an object, or the JSON text of one). */
export function serverMessage(body: unknown): string | undefined {
  let b = body;
  if (typeof body === 'string') {
    try {
      b = JSON.parse(body) as unknown;
    } catch {
      return body.trim() || undefined;
    }
  }
  const message = typeof b === 'object' && b !== null ? (b as { message?: unknown }).message : undefined;
  return typeof message === 'string' && message ? message : undefined;
}
