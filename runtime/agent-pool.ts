// Keep-alive HTTPS agents, one per set of TLS settings: a TLS handshake per request is slow and
// costs memory, and a socket may only be reused by requests with the same certificates.
import { Agent } from 'node:https';
import type { RequestOptions } from 'node:https';

/** Agents keyed by the TLS settings of the requests they carry. */
export class AgentPool {
  readonly #agents = new Map<string, Agent>();

  /** The agent for requests with `opts`'s TLS settings. */
  for(opts: RequestOptions): Agent {
    const key = JSON.stringify([opts.ca, opts.cert, opts.key, opts.pfx, opts.rejectUnauthorized, opts.servername]);
    let agent = this.#agents.get(key);
    if (!agent) {
      if (this.#agents.size >= 8) this.close(); // rotating credentials make new keys: keep few
      agent = new Agent({ keepAlive: true, maxFreeSockets: 32 });
      this.#agents.set(key, agent);
    }
    return agent;
  }

  /** Closes every connection. */
  close(): void {
    for (const a of this.#agents.values()) a.destroy();
    this.#agents.clear();
  }
}
