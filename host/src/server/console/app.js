// The RaisFast console: a small page over the admin API (docs/admin.md).
// Everything a plugin or a package provides (names, log lines, permissions)
// is put in the page as text, never as markup.
'use strict';

const main = () => document.getElementById('main');
const TOKEN = 'raisfast.console.token';

/** An element with attributes and children (strings become text). */
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

function say(text) {
  const s = document.getElementById('status');
  s.textContent = text;
  clearTimeout(say.timer);
  say.timer = setTimeout(() => { s.textContent = ''; }, 5000);
}

function show(title, ...content) {
  const m = main();
  const parts = content.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false);
  m.replaceChildren(h('h1', {}, title), ...parts);
  document.title = title + ' · RaisFast console';
  m.focus();
}

async function api(method, path, body, raw) {
  const headers = {};
  const token = sessionStorage.getItem(TOKEN);
  if (token) headers.authorization = 'Bearer ' + token;
  let payload;
  if (raw) { payload = body; headers['content-type'] = 'application/octet-stream'; }
  else if (body !== undefined) { payload = JSON.stringify(body); headers['content-type'] = 'application/json'; }
  const resp = await fetch(path, { method, headers, body: payload });
  const text = await resp.text();
  let data = text;
  try { data = JSON.parse(text); } catch (_) { /* plain text */ }
  if (resp.status === 401 && path !== '/api/v1/auth/login') {
    sessionStorage.removeItem(TOKEN);
    location.hash = '#/login';
    throw new Error('Your session ended: sign in again.');
  }
  if (!resp.ok) {
    const message = data && data.error ? data.error.message : String(text || resp.status);
    const e = new Error(message);
    e.status = resp.status;
    throw e;
  }
  return data;
}

/** Asks before an action; resolves true when confirmed. */
function confirmAction(text, label) {
  const d = document.getElementById('confirm');
  document.getElementById('confirm-text').textContent = text;
  document.getElementById('confirm-ok').textContent = label;
  return new Promise((resolve) => {
    d.addEventListener('close', () => resolve(d.returnValue === 'ok'), { once: true });
    d.returnValue = '';
    d.showModal();
  });
}

const ms = (us) => (us / 1000).toFixed(us < 10000 ? 2 : 0) + ' ms';
const when = (t) => (t ? new Date(t).toLocaleString() : '');
const stateText = (p) => h('span', { class: 'state state-' + p.state }, p.state);

function table(caption, heads, rows, cls) {
  // Each cell names its column, for the stacked layout of narrow screens.
  for (const row of rows) {
    [...row.cells].forEach((cell, i) => cell.setAttribute('data-label', heads[i][0]));
  }
  return h('div', { class: 'table' + (cls ? ' ' + cls : '') },
    h('table', {},
      h('caption', { class: 'note' }, caption),
      h('thead', {}, h('tr', {}, heads.map(([t, c]) => h('th', { scope: 'col', class: c }, t)))),
      h('tbody', {}, rows)));
}

// ---------------------------------------------------------------- views

function login() {
  document.getElementById('nav').hidden = true;
  const error = h('p', { class: 'error', role: 'alert' });
  const form = h('form', { class: 'form', id: 'login' },
    h('label', { for: 'username' }, 'Username'),
    h('input', { type: 'text', id: 'username', name: 'username', autocomplete: 'username', required: true }),
    h('label', { for: 'password' }, 'Password'),
    h('input', { type: 'password', id: 'password', name: 'password', autocomplete: 'current-password', required: true }),
    h('div', {}, h('button', { type: 'submit' }, 'Sign in')),
    error);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    error.textContent = '';
    try {
      const s = await api('POST', '/api/v1/auth/login', {
        username: form.username.value, password: form.password.value,
      });
      if (s.user.role !== 'admin') throw new Error('The console is for administrators.');
      sessionStorage.setItem(TOKEN, s.token);
      location.hash = '#/plugins';
    } catch (e) { error.textContent = e.message; }
  });
  show('Sign in', form);
  form.username.focus();
}

async function plugins() {
  const list = await api('GET', '/api/v1/admin/plugins');
  const rows = list.map((p) => h('tr', {},
    h('td', {}, h('a', { href: '#/plugins/' + encodeURIComponent(p.id) }, p.name), h('br'), h('span', { class: 'note' }, p.id)),
    h('td', {}, p.runtime),
    h('td', {}, p.version),
    h('td', {}, stateText(p), p.reason ? h('div', { class: 'note' }, p.reason) : null),
    h('td', {}, p.last_error ? h('span', { class: 'error' }, p.last_error) : 'healthy')));
  show('Plugins',
    h('p', {}, list.length + ' plugins. ', h('a', { href: '#/install' }, 'Install a package')),
    table('Every installed plugin', [['Plugin'], ['Runtime'], ['Version'], ['State'], ['Health']], rows, 'plugins'));
}

async function plugin(id) {
  const d = await api('GET', '/api/v1/admin/plugins/' + encodeURIComponent(id));
  const p = d.plugin;
  const act = (label, path, text, method, danger) => h('button', {
    type: 'button', class: danger ? 'danger' : 'secondary',
    onclick: async () => {
      if (!(await confirmAction(text, label))) return;
      try {
        await api(method || 'POST', '/api/v1/admin/plugins/' + encodeURIComponent(id) + path);
        say(label + ': done');
        if (method === 'DELETE') location.hash = '#/plugins'; else await plugin(id);
      } catch (e) { say(label + ' failed: ' + e.message); }
    },
  }, label);
  const actions = h('div', { class: 'actions' },
    p.state === 'active'
      ? act('Disable', '/disable', 'Disable ' + p.name + '? Its hooks, routes and cron jobs stop until it is enabled.')
      : act('Enable', '/enable', 'Enable ' + p.name + '?'),
    act('Reload', '/reload', 'Load ' + p.name + ' again from its directory?'),
    act('Uninstall', '', 'Uninstall ' + p.name + '? It stops; its data is kept.', 'DELETE', true));
  const metrics = Object.entries(d.metrics).map(([name, m]) => h('tr', {},
    h('td', {}, name), h('td', { class: 'num' }, m.calls), h('td', { class: 'num' }, m.errors),
    h('td', { class: 'num' }, m.timeouts), h('td', { class: 'num' }, m.denials),
    h('td', { class: 'num' }, ms(m.p50_us)), h('td', { class: 'num' }, ms(m.p99_us))));
  const cron = (d.manifest.cron || []).map((c) => h('li', {}, c.name + ': ' + c.schedule));
  const runs = d.cron_runs.map((r) => h('tr', {},
    h('td', {}, r.job), h('td', {}, when(r.started_at)), h('td', {}, r.outcome),
    h('td', { class: 'num' }, r.duration_ms === null || r.duration_ms === undefined ? '' : r.duration_ms + ' ms'),
    h('td', {}, r.error || '')));
  const logs = d.logs.map((l) => h('tr', {},
    h('td', {}, when(l.at_ms)), h('td', {}, l.level), h('td', {}, l.handler), h('td', {}, l.message)));
  show(p.name,
    h('dl', { class: 'facts' },
      h('dt', {}, 'Id'), h('dd', {}, p.id),
      h('dt', {}, 'Version'), h('dd', {}, p.version),
      h('dt', {}, 'Runtime'), h('dd', {}, p.runtime),
      h('dt', {}, 'State'), h('dd', { id: 'plugin-state' }, stateText(p), p.reason ? ' (' + p.reason + ')' : ''),
      h('dt', {}, 'Health'), h('dd', {}, d.health.last_error
        ? h('span', { class: 'error' }, d.health.consecutive_errors + ' failures in a row; last: ' + d.health.last_error)
        : 'healthy'),
      d.health.reload_error ? [h('dt', {}, 'Last reload'), h('dd', { class: 'error' }, d.health.reload_error)] : null,
      h('dt', {}, 'Loaded'), h('dd', {}, when(d.loaded_at))),
    actions,
    h('h2', {}, 'Calls'),
    metrics.length
      ? table('Per handler, since it was loaded', [['Handler'], ['Calls', 'num'], ['Errors', 'num'], ['Timeouts', 'num'],
        ['Denials', 'num'], ['p50', 'num'], ['p99', 'num']], metrics, 'metrics')
      : h('p', { class: 'note' }, 'No calls yet.'),
    h('h2', {}, 'What it may do'),
    h('ul', { class: 'grants' }, d.permissions.map((g) => h('li', {}, g.text))),
    h('h2', {}, 'Configuration'),
    h('pre', {}, JSON.stringify(d.manifest.config || {}, null, 2)),
    h('h2', {}, 'Cron jobs'),
    cron.length ? h('ul', {}, cron) : h('p', { class: 'note' }, 'None.'),
    runs.length ? table('Recent runs', [['Job'], ['Started'], ['Outcome'], ['Took', 'num'], ['Error']], runs) : null,
    h('h2', {}, 'Recent log lines'),
    logs.length ? table('Newest first', [['When'], ['Level'], ['Handler'], ['Message']], logs, 'logs')
      : h('p', { class: 'note' }, 'Nothing logged yet.'));
}

function install() {
  const error = h('p', { class: 'error', role: 'alert' });
  const form = h('form', { class: 'form', id: 'upload' },
    h('label', { for: 'package' }, 'Package (.rfp)'),
    h('input', { type: 'file', id: 'package', name: 'package', accept: '.rfp', required: true }),
    h('p', { class: 'note' }, 'It is checked and shown to you before anything is installed.'),
    h('div', {}, h('button', { type: 'submit' }, 'Upload')),
    error);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    error.textContent = '';
    const file = form.package.files[0];
    if (!file) return;
    try {
      const staged = await api('POST', '/api/v1/admin/plugins', file, true);
      location.hash = '#/install/' + encodeURIComponent(staged.token);
    } catch (e) { error.textContent = e.message; }
  });
  show('Install a package', form);
}

async function consent(token) {
  const s = await api('GET', '/api/v1/admin/packages/' + encodeURIComponent(token));
  const grants = (list, cls) => h('ul', { class: 'grants' }, list.map((g) => h('li', { class: cls }, g.text)));
  const force = h('input', { type: 'checkbox', id: 'force' });
  const parts = s.replaces
    ? [h('p', {}, 'This upgrades ' + s.id + ' from version ' + s.replaces + ' to ' + s.version + '.'),
      s.added.length ? [h('h2', {}, 'It asks for more'), grants(s.added, 'added')]
        : h('p', {}, 'It asks for nothing new.'),
      s.removed.length ? [h('h2', {}, 'It no longer asks for'), grants(s.removed, 'removed')] : null,
      h('h2', {}, 'Everything it may do'), grants(s.permissions)]
    : [h('p', {}, 'This installs ' + s.name + ' (' + s.id + ') version ' + s.version + '.'),
      h('h2', {}, 'It may'), grants(s.permissions)];
  const approve = h('button', { type: 'button', id: 'approve', onclick: async () => {
    approve.disabled = true;
    try {
      const q = force.checked ? '?force=true' : '';
      const p = await api('POST', '/api/v1/admin/packages/' + encodeURIComponent(token) + '/approve' + q);
      say('Installed ' + p.name + ' ' + p.version);
      location.hash = '#/plugins/' + encodeURIComponent(p.id);
    } catch (e) { approve.disabled = false; say('Not installed: ' + e.message); }
  } }, s.replaces ? 'Approve the upgrade' : 'Install');
  const cancel = h('button', { type: 'button', class: 'secondary', onclick: async () => {
    try { await api('DELETE', '/api/v1/admin/packages/' + encodeURIComponent(token)); } catch (_) { /* gone */ }
    location.hash = '#/plugins';
  } }, 'Cancel');
  show('Review ' + s.name + ' ' + s.version, ...parts,
    s.downgrade ? h('p', {}, h('label', { for: 'force', class: 'error' }, force,
      ' It is older than the installed version: install it anyway')) : null,
    h('div', { class: 'actions' }, approve, cancel));
}

// ---------------------------------------------------------------- routing

async function route() {
  const token = sessionStorage.getItem(TOKEN);
  const [, view, arg] = (location.hash || '#/plugins').split('/');
  if (!token || view === 'login') return login();
  document.getElementById('nav').hidden = false;
  try {
    if (view === 'plugins' && arg) await plugin(decodeURIComponent(arg));
    else if (view === 'install' && arg) await consent(decodeURIComponent(arg));
    else if (view === 'install') install();
    else await plugins();
  } catch (e) {
    show('Something went wrong', h('p', { class: 'error', role: 'alert' }, e.message),
      h('p', {}, h('a', { href: '#/plugins' }, 'Back to the plugins')));
  }
}

window.addEventListener('hashchange', route);
window.addEventListener('DOMContentLoaded', () => {
  document.getElementById('sign-out').addEventListener('click', async () => {
    try { await api('POST', '/api/v1/auth/logout'); } catch (_) { /* signed out anyway */ }
    sessionStorage.removeItem(TOKEN);
    location.hash = '#/login';
  });
  route();
});
