// The dashboard: one EventSource (/api/v1/events) and nothing else. Every value reaches the page
// through textContent or an attribute, never as HTML.
'use strict';

const KINDS = [
  ['WorkloadProcess', 'Processes'],
  ['WorkloadCronJob', 'Cron jobs'],
  ['WorkloadService', 'Services'],
  ['WorkloadPersistent', 'Persistent'],
];
const MAX_EVENTS = 100;

const state = {
  identity: '',
  status: {},
  lease: null, // { remainingMs, durationMs, receivedAt }
  workloads: new Map(), // "kind/namespace/name" → view
  failovers: [],
  events: [],
};

const $ = (id) => document.getElementById(id);

/** An element with text and attributes; children appended in order. */
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') node.className = v;
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

function setText(id, text) {
  $(id).textContent = text;
}

function badge(text, tone) {
  return el('span', { class: `badge ${tone}` }, text);
}

function clock(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleTimeString();
}

function seconds(ms) {
  return ms === null || ms === undefined ? '—' : `${(ms / 1000).toFixed(1)} s`;
}

const workloadKey = (w) => `${w.kind}/${w.namespace}/${w.name}`;

// ---- rendering --------------------------------------------------------------------------

function renderLeadership() {
  const s = state.status;
  setText('cluster', s.clusterName ? `cluster ${s.clusterName}` : '');
  setText('identity', state.identity || '…');
  const role = $('role');
  role.textContent = s.isLeader ? 'leader' : 'follower';
  role.className = `badge ${s.isLeader ? 'leader' : ''}`;
  setText('leader', s.currentLeader || 'nobody');
  setText('epoch', s.epoch ? String(s.epoch) : '—');
  const since = s.isLeader ? s.leaderSince : (state.failovers.find((f) => f.to === s.currentLeader) || {}).at;
  setText('leader-since', since ? `since ${clock(since)}` : '');
  setText('tenant', s.tenant || 'default');
  setText('uptime', s.uptime || '—');
  setText('takeovers', String(s.failoverCount ?? 0));
  document.title = `Highlander · ${s.isLeader ? 'leader' : 'follower'} · ${s.currentLeader || 'no leader'}`;
}

function renderStore(store, reachable) {
  if (store) {
    setText('store-type', store.storageType || '—');
    setText('store-lock', store.lockName || '');
    setText('store-address', store.address ? `at ${store.address}` : '');
  }
  const h = $('store-health');
  h.textContent = reachable ? 'reachable' : 'unreachable';
  h.className = `badge ${reachable ? 'ok' : 'bad'}`;
}

function renderReady(ready) {
  setText('ready', ready.ready ? 'Ready' : 'Not ready');
  $('ready').className = `big ${ready.ready ? '' : 'bad'}`;
  setText('ready-reasons', ready.reasons.join('; '));
}

function renderLease() {
  const l = state.lease;
  if (!l || l.remainingMs === null) {
    setText('lease-left', state.status.currentLeader ? 'held' : 'free');
    $('lease-bar').style.width = '0';
    setText('lease-duration', l ? seconds(l.durationMs) : '—');
    return;
  }
  const left = Math.max(0, l.remainingMs - (performance.now() - l.receivedAt));
  setText('lease-left', `${(left / 1000).toFixed(1)} s`);
  setText('lease-duration', seconds(l.durationMs));
  const bar = $('lease-bar');
  bar.style.width = `${Math.min(100, (100 * left) / l.durationMs)}%`;
  bar.className = left < l.durationMs / 3 ? 'low' : '';
}

function renderWorkloads(flashKey) {
  const root = $('workloads');
  root.replaceChildren();
  const all = [...state.workloads.values()];
  const healthy = all.filter((w) => w.healthy).length;
  setText(
    'workload-counts',
    `${all.length} workloads · ${healthy} healthy · ${all.filter((w) => w.active).length} active`,
  );
  for (const [kind, title] of KINDS) {
    const rows = all.filter((w) => w.kind === kind).sort((a, b) => workloadKey(a).localeCompare(workloadKey(b)));
    const section = el(
      'div',
      { class: 'kind', 'data-kind': kind },
      el('h3', {}, `${title} `, el('span', { class: 'muted' }, `(${rows.length})`)),
    );
    if (rows.length === 0) {
      section.append(el('div', { class: 'empty' }, 'none'));
    } else {
      const body = el('tbody');
      for (const w of rows) {
        const href = `/api/v1/workloads/${encodeURIComponent(w.namespace)}/${encodeURIComponent(w.name)}`;
        const tr = el(
          'tr',
          { 'data-workload': `${w.namespace}/${w.name}` },
          el('td', {}, el('a', { href }, w.name)),
          el('td', {}, w.namespace),
          el('td', {}, badge(w.active ? 'Active' : 'Inactive', w.active ? 'ok' : '')),
          el(
            'td',
            {},
            badge(w.healthy ? 'Healthy' : 'Unhealthy', w.healthy ? 'ok' : w.phase === 'Stalled' ? 'bad' : 'warn'),
          ),
          el('td', {}, w.phase || '—'),
          el('td', { class: 'msg' }, w.message || ''),
        );
        if (workloadKey(w) === flashKey) tr.className = 'flash';
        body.append(tr);
      }
      const head = el(
        'thead',
        {},
        el('tr', {}, ...['Name', 'Namespace', 'Active', 'Healthy', 'Phase', 'Message'].map((h) => el('th', {}, h))),
      );
      section.append(el('table', {}, head, body));
    }
    root.append(section);
  }
}

function renderTimeline() {
  const list = $('timeline');
  list.replaceChildren();
  if (state.failovers.length === 0)
    list.append(el('li', { class: 'first' }, el('span', { class: 'muted' }, 'no leadership changes seen yet')));
  for (const f of state.failovers) {
    const what = f.from
      ? el('span', {}, el('code', {}, f.from), ' → ', el('code', {}, f.to))
      : el('span', {}, el('code', {}, f.to), ' elected');
    const took =
      f.durationMs === null || f.durationMs === undefined
        ? ''
        : ` · taken ${seconds(f.durationMs)} after the lock was free`;
    list.append(
      el(
        'li',
        { class: f.from ? 'failover' : 'first' },
        el('div', {}, what),
        el(
          'div',
          { class: 'muted' },
          `${clock(f.at)} · epoch ${f.epoch}${took} · ${f.observedBy === 'self' ? 'taken by this replica' : 'observed'}`,
        ),
      ),
    );
  }
}

function describeEvent(e) {
  switch (e.type) {
    case 'leadership': {
      const words = {
        acquired: 'this replica became leader',
        stopped: `this replica stopped leading${e.reason ? ` (${e.reason})` : ''}`,
        released: 'this replica released the lock',
        observed: `${e.leader} leads`,
        free: 'the lock is free',
      };
      return [
        badge('leadership', e.change === 'acquired' ? 'leader' : ''),
        ` ${words[e.change] || e.change} · epoch ${e.epoch}`,
      ];
    }
    case 'event':
      return [
        badge(e.reason, e.level === 'Warning' ? 'bad' : 'ok'),
        ` ${e.kind} ${e.namespace}/${e.name}: ${e.message}`,
      ];
    case 'failover':
      return e.failover.from
        ? [badge('failover', 'warn'), ` ${e.failover.from} → ${e.failover.to} (epoch ${e.failover.epoch})`]
        : [badge('elected', ''), ` ${e.failover.to} leads (epoch ${e.failover.epoch})`];
    default:
      return [e.type];
  }
}

function renderEvents() {
  const list = $('events');
  list.replaceChildren();
  if (state.events.length === 0) list.append(el('li', {}, el('span', { class: 'muted' }, 'nothing yet')));
  for (const e of state.events)
    list.append(el('li', {}, el('span', { class: 'time' }, clock(e.at)), el('span', {}, ...describeEvent(e))));
}

// ---- live updates -----------------------------------------------------------------------

function addEvent(e) {
  state.events.unshift(e);
  if (state.events.length > MAX_EVENTS) state.events.length = MAX_EVENTS;
  renderEvents();
}

function onSnapshot(snap) {
  state.identity = snap.identity;
  state.status = snap.status;
  state.workloads = new Map(snap.workloads.map((w) => [workloadKey(w), w]));
  state.failovers = snap.failovers;
  state.events = snap.recent.slice().reverse().slice(0, MAX_EVENTS);
  state.lease = {
    remainingMs: snap.status.leaseRemainingMs,
    durationMs: snap.status.leaseDurationMs,
    receivedAt: performance.now(),
  };
  renderLeadership();
  renderStore(snap.lockStore, snap.status.storeReachable);
  renderReady(snap.ready);
  renderWorkloads();
  renderTimeline();
  renderEvents();
  renderLease();
}

function onLease(l) {
  Object.assign(state.status, {
    isLeader: l.isLeader,
    currentLeader: l.currentLeader,
    epoch: l.epoch,
    uptime: l.uptime,
  });
  state.lease = { remainingMs: l.leaseRemainingMs, durationMs: l.leaseDurationMs, receivedAt: performance.now() };
  renderLeadership();
  renderStore(null, l.storeReachable);
  renderLease();
}

function connect() {
  const conn = $('conn');
  const source = new EventSource('/api/v1/events');
  const on = (type, handler) =>
    source.addEventListener(type, (msg) => {
      try {
        handler(JSON.parse(msg.data));
      } catch (err) {
        console.error(`bad ${type} event`, err);
      }
    });
  source.onopen = () => {
    conn.textContent = '● live';
    conn.className = 'conn live';
  };
  source.onerror = () => {
    conn.textContent = '○ reconnecting…';
    conn.className = 'conn down';
  };
  on('snapshot', onSnapshot);
  on('lease', onLease);
  on('leadership', (e) => {
    if (e.change === 'acquired')
      Object.assign(state.status, { isLeader: true, currentLeader: e.leader, epoch: e.epoch, leaderSince: e.at });
    if (e.change === 'stopped') Object.assign(state.status, { isLeader: false });
    if (e.change === 'observed') Object.assign(state.status, { currentLeader: e.leader, epoch: e.epoch });
    renderLeadership();
    addEvent(e);
  });
  on('workload', (e) => {
    const key = workloadKey(e.workload);
    if (e.change === 'deleted') state.workloads.delete(key);
    else state.workloads.set(key, e.workload);
    renderWorkloads(key);
  });
  on('event', addEvent);
  on('failover', (e) => {
    state.failovers.unshift(e.failover);
    if (e.failover.to === state.identity)
      state.status.failoverCount = (state.status.failoverCount || 0) + (e.failover.from ? 1 : 0);
    renderTimeline();
    renderLeadership();
    addEvent(e);
  });
}

// The countdown moves between heartbeats without asking the server.
setInterval(renderLease, 200);
connect();
