// Toxiproxy (Shopify's TCP fault proxy) for chaos tests: a toxiproxy-server of our own on
// 127.0.0.1, built from Go modules into the cache (e2e/cluster/build.sh toxiproxy), and typed
// calls to its HTTP API that put network faults between a process and the server it talks to.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Socket } from 'node:net';
import { repoRoot } from './kube.ts';
import { runCommand } from './run-command.ts';
import { parseEnvFile } from './services.ts';

/** The one address proxies listen on and forward to: tests never reach beyond this machine. */
export const LOOPBACK = '127.0.0.1';

/** A proxy Toxiproxy created: the address to point the process under test at instead of the server. */
export interface ProxyAddress {
  name: string;
  /** `127.0.0.1:<port>`, a port Toxiproxy picked free. */
  listen: string;
  port: number;
}

/** One toxic on a proxy, as the API reports it. */
export interface ToxicState {
  name: string;
  type: string;
  stream: 'upstream' | 'downstream';
  toxicity: number;
  attributes: Record<string, number>;
}

/** A proxy as the API reports it. */
export interface ProxyState {
  name: string;
  listen: string;
  upstream: string;
  enabled: boolean;
  toxics: ToxicState[];
}

/** The fetch the client calls; tests pass a fake to see the requests without a server. */
export type Fetch = (url: string, init: RequestInit) => Promise<Response>;

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const UPSTREAM = /^127\.0\.0\.1:(\d{1,5})$/;
// The toxics this client adds, by fixed names so that repeating a fault updates it in place.
const CUT = ['cut_upstream', 'cut_downstream'] as const;
const STALL = 'stall_upstream';
const STALL_CLOSE = 'stall_close';
// What a tolerated error status returns instead of a body.
const CONFLICT = Symbol('conflict');

/** Throws unless `name` is a proxy name that needs no escaping in a URL path. */
export function checkProxyName(name: string): string {
  if (!NAME.test(name)) {
    throw new Error(`toxiproxy: proxy name ${JSON.stringify(name)} must match ${NAME.source}`);
  }
  return name;
}

/** Parses `127.0.0.1:<port>`; refuses any other host, since a test may only reach this machine. */
export function parseUpstream(upstream: string): { host: string; port: number } {
  const port = Number(UPSTREAM.exec(upstream)?.[1]);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new Error(
      `toxiproxy: upstream ${JSON.stringify(upstream)} must be ${LOOPBACK}:<port 1-65535>; ` +
        'proxies only ever forward to servers on this machine',
    );
  }
  return { host: LOOPBACK, port };
}

/** Throws unless `ms` is a whole number of milliseconds from 1 to 10 minutes. */
export function checkStallMs(ms: number): number {
  if (!Number.isInteger(ms) || ms < 1 || ms > 600_000) {
    throw new Error(`toxiproxy: a stall of ${ms} ms must be a whole number of ms from 1 to 600000`);
  }
  return ms;
}

/** Typed calls to a Toxiproxy HTTP API on 127.0.0.1. */
export class ToxiproxyClient {
  readonly apiUrl: string;
  readonly #fetch: Fetch;

  constructor(apiUrl: string, fetchImpl: Fetch = fetch) {
    const url = new URL(apiUrl);
    if (url.hostname !== LOOPBACK) throw new Error(`toxiproxy: API ${apiUrl} must be on ${LOOPBACK}`);
    this.apiUrl = url.origin;
    this.#fetch = fetchImpl;
  }

  /** Creates proxy `name` to `upstream` (`127.0.0.1:<port>`), listening on a free loopback port. */
  async createProxy(name: string, upstream: string): Promise<ProxyAddress> {
    checkProxyName(name);
    parseUpstream(upstream);
    // Port 0 lets Toxiproxy bind a free port itself (no race with a port picked beforehand);
    // it reports the bound address, and reuses it when the proxy is enabled again after refuse().
    const body = { name, listen: `${LOOPBACK}:0`, upstream, enabled: true };
    const created = (await this.#call('POST', '/proxies', body)) as ProxyState;
    const port = Number(/^127\.0\.0\.1:(\d+)$/.exec(created.listen)?.[1]);
    if (!(port > 0)) throw new Error(`toxiproxy: proxy ${name} listens on ${created.listen}, not ${LOOPBACK}`);
    return { name, listen: created.listen, port };
  }

  /** Deletes proxy `name`, closing its connections. */
  async deleteProxy(name: string): Promise<void> {
    await this.#call('DELETE', `/proxies/${checkProxyName(name)}`);
  }

  /** The proxy's state, toxics included. */
  async getProxy(name: string): Promise<ProxyState> {
    return (await this.#call('GET', `/proxies/${checkProxyName(name)}`)) as ProxyState;
  }

  /**
   * Blackholes the proxy both ways, for connections already open and new ones alike. It is the
   * `timeout` toxic with timeout 0 on the upstream and the downstream stream: that toxic reads
   * every chunk and drops it, and with 0 it never closes the connection, so both peers meet
   * silence, as behind a dropped route: nothing but their own timeouts tells them to give up.
   * Disabling the proxy would not do, since Toxiproxy then closes every open connection and
   * refuses new ones, which a client notices at once (that is refuse()); a positive timeout
   * would close the connection after that long. New connections still complete the TCP
   * handshake, because Toxiproxy itself accepts them, but no byte crosses. Removing the toxic
   * (heal()) makes Toxiproxy close the connections it held: what they sent meanwhile is lost.
   */
  async cut(name: string): Promise<void> {
    checkProxyName(name);
    for (const [i, toxic] of CUT.entries()) {
      await this.#putToxic(name, toxic, 'timeout', i === 0 ? 'upstream' : 'downstream', { timeout: 0 });
    }
  }

  /**
   * Holds every request for `ms` before it reaches the server (the `latency` toxic, upstream).
   * A client that gives up meanwhile does not take its request back: its close is held a second
   * longer than the data (`slow_close`), as a FIN queued behind the bytes in a stalled TCP stream
   * would be, so the server still receives and runs the request — late.
   */
  async stall(name: string, ms: number): Promise<void> {
    checkProxyName(name);
    checkStallMs(ms);
    await this.#putToxic(name, STALL, 'latency', 'upstream', { latency: ms, jitter: 0 });
    await this.#putToxic(name, STALL_CLOSE, 'slow_close', 'upstream', { delay: ms + 1000 });
  }

  /**
   * Disables the proxy: Toxiproxy closes its listener and every open connection, so clients see
   * their connection closed and a new connect refused at once (the port is free until heal()).
   */
  async refuse(name: string): Promise<void> {
    await this.#call('PATCH', `/proxies/${checkProxyName(name)}`, { enabled: false });
  }

  /**
   * Lifts every fault and enables the proxy again on the same port. The cut's toxics are removed
   * (Toxiproxy then closes the connections they held); a stall's are set to zero instead, because
   * Toxiproxy 2.12 panics (index out of range in ToxicLink.AddToxic) when a toxic is added after a
   * `slow_close` was removed while connections were closing: once added, they stay, doing nothing.
   */
  async heal(name: string): Promise<void> {
    const toxics = (await this.#call('GET', `/proxies/${checkProxyName(name)}/toxics`)) as ToxicState[];
    for (const toxic of toxics) {
      if (toxic.name === STALL) await this.#putToxic(name, STALL, 'latency', 'upstream', { latency: 0, jitter: 0 });
      else if (toxic.name === STALL_CLOSE)
        await this.#putToxic(name, STALL_CLOSE, 'slow_close', 'upstream', { delay: 0 });
      else await this.#call('DELETE', `/proxies/${name}/toxics/${encodeURIComponent(toxic.name)}`);
    }
    await this.#call('PATCH', `/proxies/${name}`, { enabled: true });
  }

  /** Heals every proxy (POST /reset: all enabled, all toxics removed). */
  async resetAll(): Promise<void> {
    await this.#call('POST', '/reset');
  }

  /** Adds the toxic, or updates its attributes if this client added it before. */
  async #putToxic(
    proxy: string,
    name: string,
    type: string,
    stream: 'upstream' | 'downstream',
    attributes: Record<string, number>,
  ): Promise<void> {
    const body = { name, type, stream, toxicity: 1, attributes };
    const added = await this.#call('POST', `/proxies/${proxy}/toxics`, body, [409]);
    if (added === CONFLICT) await this.#call('PATCH', `/proxies/${proxy}/toxics/${name}`, { attributes });
  }

  async #call(method: string, path: string, body?: object, tolerate: number[] = []): Promise<unknown> {
    const init: RequestInit = { method, signal: AbortSignal.timeout(15_000) };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers = { 'content-type': 'application/json' };
    }
    const res = await this.#fetch(`${this.apiUrl}${path}`, init);
    const text = await res.text();
    if (tolerate.includes(res.status)) return CONFLICT;
    if (!res.ok) {
      let message = text.trim();
      try {
        message = (JSON.parse(text) as { error?: string }).error ?? message;
      } catch {
        // Not JSON: keep the text as it is.
      }
      throw new Error(`toxiproxy: ${method} ${path} answered ${res.status}: ${message}`);
    }
    return text === '' ? undefined : (JSON.parse(text) as unknown);
  }
}

let binary: Promise<string> | undefined;

/** Path of toxiproxy-server; builds it into the cache the first time on a machine. */
export function toxiproxyPath(): Promise<string> {
  binary ??= runCommand('bash', [`${repoRoot}e2e/cluster/build.sh`, 'toxiproxy']).then((r) => {
    const path = /^TOXIPROXY_BIN=(.+)$/m.exec(r.stdout)?.[1];
    if (r.code !== 0 || !path) throw new Error(`building toxiproxy failed (exit ${r.code}): ${r.stderr.slice(-2000)}`);
    return path;
  });
  return binary;
}

/** The version build.sh pins, which the server we start must report on GET /version. */
export function pinnedToxiproxyVersion(): string {
  const version = parseEnvFile(readFileSync(`${repoRoot}e2e/cluster/versions.env`, 'utf8')).TOXIPROXY_VERSION;
  if (!version) throw new Error('e2e/cluster/versions.env has no TOXIPROXY_VERSION');
  return version;
}

/** Options of {@link Toxiproxy.start}. */
export interface StartOptions {
  /** How long the API may take to answer; 15 s by default. */
  startupMs?: number;
}

// The server runs under this bash, which also runs `cat` on our pipe: the pipe reaches EOF
// when stop() closes it or when this process dies, even by SIGKILL. Whichever of the two ends
// first, bash stops the other and reaps both, so no toxiproxy-server outlives its test and a
// server that dies by itself is seen exiting. A background job gets /dev/null as stdin unless
// told otherwise, hence the saved descriptor 3. (--norc: bash reads ~/.bashrc when its stdin
// is a socket, as Node's pipes are, taking itself to be run by a remote shell daemon.)
const WATCHDOG = [
  'exec 3<&0',
  '"$0" "$@" <&- & server=$!',
  'cat <&3 >/dev/null & watch=$!',
  'wait -n',
  'kill -TERM "$server" "$watch" 2>/dev/null',
  'wait',
].join('\n');

/** A toxiproxy-server of this test's own on 127.0.0.1, with the client for its API. */
export class Toxiproxy extends ToxiproxyClient {
  readonly #child: ChildProcess;
  readonly #output: string[];
  readonly #exited: Promise<void>;

  private constructor(apiUrl: string, child: ChildProcess, output: string[], exited: Promise<void>) {
    super(apiUrl);
    this.#child = child;
    this.#output = output;
    this.#exited = exited;
  }

  /** Builds the binary if needed, starts it on a free port and waits until its API answers. */
  static async start(options: StartOptions = {}): Promise<Toxiproxy> {
    const bin = await toxiproxyPath();
    const version = pinnedToxiproxyVersion();
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const output: string[] = [];
      const child = spawn(
        'bash',
        ['--norc', '--noprofile', '-c', WATCHDOG, bin, '-host', LOOPBACK, '-port', String(port)],
        {
          // Its own process group, so that stop() can end bash, cat and the server together.
          detached: true,
          stdio: ['pipe', 'pipe', 'pipe'],
          env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LOG_LEVEL: 'info' },
        },
      );
      const keep = (d: Buffer): void => void output.push(...d.toString('utf8').split('\n').filter(Boolean));
      child.stdout.on('data', keep);
      child.stderr.on('data', keep);
      // 'close' comes once every holder of the pipes (bash, cat, server) has exited.
      const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
      // A test that forgets stop() must not keep its process alive; its exit closes the pipe,
      // and bash then stops the server.
      child.unref();
      for (const stream of [child.stdin, child.stdout, child.stderr]) (stream as unknown as Socket).unref();
      const proxy = new Toxiproxy(`http://${LOOPBACK}:${port}`, child, output, exited);
      try {
        await proxy.#ready(version, options.startupMs ?? 15_000);
        return proxy;
      } catch (err) {
        await proxy.stop();
        // Another process took the port between freePort() and the server's bind: try another.
        if (attempt < 3 && output.some((l) => l.includes('address already in use'))) continue;
        throw err;
      }
    }
  }

  /** The server's process id (of its bash wrapper, whose process group holds the server). */
  get pid(): number {
    return this.#child.pid!;
  }

  /** The server's log lines so far (JSON, one per line), for a failing test's message. */
  get log(): readonly string[] {
    return this.#output;
  }

  /** Stops the server and waits until it and its wrapper have exited; SIGKILL after 5 s. Safe to call twice. */
  async stop(): Promise<void> {
    this.#child.stdin!.end();
    const timer = setTimeout(() => {
      try {
        process.kill(-this.#child.pid!, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }, 5_000);
    await this.#exited;
    clearTimeout(timer);
  }

  /** Resolves once GET /version answers with the pinned version; rejects if the server fails first. */
  async #ready(version: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    // The server logs a failed bind but keeps running, so its log is checked, not only its exit.
    const failed = (): boolean => this.#output.some((l) => l.includes('Server finished with error'));
    let last: string;
    for (;;) {
      if (failed() || this.#child.exitCode !== null) {
        throw new Error(`toxiproxy-server did not start: ${this.#output.slice(-5).join(' | ')}`);
      }
      try {
        const res = await fetch(`${this.apiUrl}/version`, { signal: AbortSignal.timeout(1_000) });
        const body = (await res.json()) as { version?: string };
        // Someone else's server on this port would answer too: ours must not have failed to bind.
        if (res.ok && body.version === version && !failed()) return;
        last = `GET /version answered ${res.status} ${JSON.stringify(body)}, expected version ${version}`;
      } catch (err) {
        last = (err as Error).message;
      }
      if (Date.now() > deadline) throw new Error(`toxiproxy-server at ${this.apiUrl} not ready: ${last}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** A TCP port free on 127.0.0.1 right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}
