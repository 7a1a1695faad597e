// hh-local web UI: a single-page app over the hh-local JSON API (docs in tools/hh-local/web/README.md).
// Plain browser JavaScript, no dependencies. Every piece of data reaches the page through
// textContent or attribute setters, never through innerHTML: span names and values may hold markup.
(function () {
  'use strict';

  const PAGE_SIZE = 100;
  const SECTIONS = ['inputs', 'outputs', 'metadata', 'metrics', 'feedback', 'config'];
  const EVENT_TYPES = {
    session: { letter: 'S', label: 'Session' },
    chain: { letter: 'C', label: 'Chain' },
    model: { letter: 'M', label: 'Model' },
    tool: { letter: 'T', label: 'Tool' },
    span: { letter: '·', label: 'Span (no event type)' },
  };
  const LONG_STRING_CHARS = 280;
  const LONG_STRING_LINES = 6;
  const LONG_JSON_LINES = 14;

  // ---------------------------------------------------------------------------------------------
  // DOM helpers

  // el('div', {class: 'x', dataset: {spanId: '1'}, title: 't', onclick: f}, child, [children], 'text')
  function el(tag, props) {
    const node = document.createElement(tag);
    if (props) {
      for (const key of Object.keys(props)) {
        const value = props[key];
        if (value === undefined || value === null || value === false) continue;
        if (key === 'class') node.className = value;
        else if (key === 'dataset') Object.assign(node.dataset, value);
        else if (key === 'style') Object.assign(node.style, value);
        else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
        else node.setAttribute(key, value === true ? '' : String(value));
      }
    }
    for (let i = 2; i < arguments.length; i++) append(node, arguments[i]);
    return node;
  }

  function append(parent, child) {
    if (child === undefined || child === null || child === false) return;
    if (Array.isArray(child)) child.forEach((c) => append(parent, c));
    else if (child instanceof Node) parent.appendChild(child);
    else parent.appendChild(document.createTextNode(String(child)));
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
    return node;
  }

  // ---------------------------------------------------------------------------------------------
  // Formatting

  function formatDuration(ms) {
    if (typeof ms !== 'number' || !isFinite(ms)) return '—';
    if (ms <= 0) return '0 ms';
    if (ms < 0.0095) return (ms * 1000).toFixed(1) + ' µs';
    if (ms < 0.9995) return (ms * 1000).toFixed(0) + ' µs';
    if (ms < 10) return ms.toFixed(2) + ' ms';
    if (ms < 1000) return ms.toFixed(1) + ' ms';
    if (ms < 60000) return (ms / 1000).toFixed(2) + ' s';
    const minutes = Math.floor(ms / 60000);
    const seconds = Math.round((ms % 60000) / 1000);
    if (minutes < 60) return minutes + 'm ' + String(seconds).padStart(2, '0') + 's';
    return Math.floor(minutes / 60) + 'h ' + String(minutes % 60).padStart(2, '0') + 'm';
  }

  function pad2(n) {
    return String(n).padStart(2, '0');
  }

  // Local wall-clock time of a Unix-epoch nanosecond timestamp ("2026-05-14 11:30:00").
  function formatTime(ns, withMillis) {
    if (typeof ns !== 'number' || !isFinite(ns) || ns <= 0) return '—';
    const d = new Date(ns / 1e6);
    let text = d.getFullYear() + '-' + pad2(d.getMonth() + 1) + '-' + pad2(d.getDate()) + ' ' +
      pad2(d.getHours()) + ':' + pad2(d.getMinutes()) + ':' + pad2(d.getSeconds());
    if (withMillis) text += '.' + String(d.getMilliseconds()).padStart(3, '0');
    return text;
  }

  function isoTime(ns) {
    if (typeof ns !== 'number' || !isFinite(ns) || ns <= 0) return '';
    try {
      return new Date(ns / 1e6).toISOString();
    } catch (e) {
      return '';
    }
  }

  function formatNumber(value) {
    if (typeof value !== 'number' || !isFinite(value)) return String(value);
    if (Number.isInteger(value)) return value.toLocaleString('en-US');
    const abs = Math.abs(value);
    if (abs < 1e-6 || abs >= 1e15) return value.toExponential(3);
    return String(Number(value.toPrecision(abs < 1 ? 4 : 6)));
  }

  function shortId(id) {
    const text = String(id);
    return text.length > 12 ? text.slice(0, 8) + '…' : text;
  }

  function plural(n, word) {
    return formatNumber(n) + ' ' + word + (n === 1 ? '' : 's');
  }

  function eventTypeOf(span) {
    const type = span && span.event_type;
    return Object.prototype.hasOwnProperty.call(EVENT_TYPES, type) && type !== 'span' ? type : 'span';
  }

  function spanDurationMs(span) {
    if (typeof span.duration_ms === 'number') return span.duration_ms;
    if (typeof span.start_time_ns === 'number' && typeof span.end_time_ns === 'number') {
      return (span.end_time_ns - span.start_time_ns) / 1e6;
    }
    return NaN;
  }

  function isEmptyValue(value) {
    if (value === undefined || value === null) return true;
    if (Array.isArray(value)) return value.length === 0;
    if (typeof value === 'object') return Object.keys(value).length === 0;
    return false;
  }

  // ---------------------------------------------------------------------------------------------
  // API

  class ApiError extends Error {
    constructor(message, status) {
      super(message);
      this.status = status;
    }
  }

  async function api(path) {
    let response;
    try {
      response = await fetch(path, { headers: { Accept: 'application/json' }, cache: 'no-store' });
    } catch (e) {
      throw new ApiError('The hh-local server did not answer (' + (e && e.message ? e.message : e) + ').', 0);
    }
    let body = null;
    try {
      body = await response.json();
    } catch (e) {
      body = null;
    }
    if (!response.ok) {
      const detail = body && typeof body.error === 'string' ? body.error : response.statusText;
      throw new ApiError('HTTP ' + response.status + (detail ? ': ' + detail : ''), response.status);
    }
    if (body === null || typeof body !== 'object') {
      throw new ApiError('The server answered ' + path + ' with something that is not JSON.', response.status);
    }
    return body;
  }

  function queryString(params) {
    const parts = [];
    for (const key of Object.keys(params)) {
      const value = params[key];
      if (value === undefined || value === null || value === '' || value === 0) continue;
      parts.push(encodeURIComponent(key) + '=' + encodeURIComponent(value));
    }
    return parts.length ? '?' + parts.join('&') : '';
  }

  // ---------------------------------------------------------------------------------------------
  // Routing: #/  #/sessions/<id>[?span=<span id>]  #/runs  #/runs/<id>

  function parseHash() {
    let hash = location.hash.replace(/^#/, '');
    if (!hash.startsWith('/')) hash = '/' + hash;
    const q = hash.indexOf('?');
    const path = q >= 0 ? hash.slice(0, q) : hash;
    const params = {};
    if (q >= 0) {
      for (const [key, value] of new URLSearchParams(hash.slice(q + 1))) params[key] = value;
    }
    const segments = path.split('/').filter((s) => s !== '').map((s) => {
      try {
        return decodeURIComponent(s);
      } catch (e) {
        return s;
      }
    });
    return { segments, params };
  }

  function sessionHref(id, spanId) {
    return '#/sessions/' + encodeURIComponent(id) + (spanId ? '?span=' + encodeURIComponent(spanId) : '');
  }

  function runHref(id) {
    return '#/runs/' + encodeURIComponent(id);
  }

  const app = document.getElementById('app');
  let renderToken = 0;  // bumped on every navigation; stale async renders check it and stop

  function setState(view, state) {
    app.dataset.view = view;
    app.dataset.state = state;
  }

  function route() {
    const token = ++renderToken;
    const { segments, params } = parseHash();
    let nav = 'sessions';
    if (segments.length === 0) {
      renderSessions(token, params);
    } else if (segments[0] === 'sessions' && segments.length === 1) {
      renderSessions(token, params);
    } else if (segments[0] === 'sessions' && segments.length === 2) {
      renderSession(token, segments[1], params);
    } else if (segments[0] === 'runs' && segments.length === 1) {
      nav = 'runs';
      renderRuns(token);
    } else if (segments[0] === 'runs' && segments.length === 2) {
      nav = 'runs';
      renderRun(token, segments[1]);
    } else {
      nav = '';
      setState('not-found', 'error');
      clear(app).appendChild(page(
        stateBox('error', 'Page not found', ['There is no page at ', el('code', null, location.hash), '.'],
          el('a', { class: 'button', href: '#/' }, 'Go to sessions'))));
    }
    for (const link of document.querySelectorAll('[data-nav]')) {
      link.classList.toggle('active', link.dataset.nav === nav);
    }
    window.scrollTo(0, 0);
  }

  // ---------------------------------------------------------------------------------------------
  // Shared page pieces

  function page() {
    return el('section', { class: 'page' }, Array.from(arguments));
  }

  function stateBox(kind, title, text, action) {
    return el('div', { class: 'state state-' + kind, role: kind === 'error' ? 'alert' : null },
      el('div', { class: 'state-icon', 'aria-hidden': 'true' }, kind === 'error' ? '!' : kind === 'empty' ? '∅' : ''),
      el('p', { class: 'state-title' }, title),
      text ? el('p', { class: 'state-text' }, text) : null,
      action || null);
  }

  function loadingBox(what) {
    return el('div', { class: 'state state-loading' }, el('div', { class: 'spinner', 'aria-hidden': 'true' }),
      el('p', { class: 'state-text' }, 'Loading ' + what + '…'));
  }

  function errorBox(what, error, retry) {
    return stateBox('error', 'Could not load ' + what, error && error.message ? error.message : String(error),
      el('button', { class: 'button', type: 'button', onclick: retry }, 'Retry'));
  }

  function typeBadge(type) {
    const info = EVENT_TYPES[type] || EVENT_TYPES.span;
    return el('span', { class: 'type-badge type-' + type, title: info.label, 'aria-label': info.label }, info.letter);
  }

  function errorCount(n) {
    if (typeof n !== 'number') return el('span', { class: 'muted' }, '—');
    return n > 0 ? el('span', { class: 'pill pill-error' }, formatNumber(n)) : el('span', { class: 'muted' }, '0');
  }

  function timeCell(ns) {
    return el('time', { datetime: isoTime(ns) || null, title: isoTime(ns) || null }, formatTime(ns));
  }

  function runLink(runId, datapointId) {
    if (!runId) return el('span', { class: 'muted' }, '—');
    return el('span', { class: 'run-ref' },
      el('a', { class: 'mono', href: runHref(runId), title: 'Evaluation run ' + runId }, shortId(runId)),
      datapointId ? el('span', { class: 'muted mono small', title: 'Datapoint ' + datapointId }, ' · ' + datapointId) : null);
  }

  function facts(items) {
    return el('dl', { class: 'facts' }, items.filter(Boolean).map(([label, value, cls]) =>
      el('div', { class: 'fact' + (cls ? ' ' + cls : '') }, el('dt', null, label), el('dd', null, value))));
  }

  // Navigates when a table row is clicked outside its links (the links stay the accessible target).
  function rowLink(row, href) {
    row.classList.add('clickable');
    row.addEventListener('click', (event) => {
      if (event.target.closest('a, button, input, select')) return;
      if (window.getSelection && String(window.getSelection()).length > 0) return;  // selecting text
      location.hash = href;
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Sessions list

  function renderSessions(token, params) {
    setState('sessions', 'loading');
    const filters = { project: params.project || '', q: params.q || '', run_id: params.run_id || '',
      offset: Math.max(0, parseInt(params.offset, 10) || 0) };

    const projectSelect = el('select', { id: 'filter-project', 'aria-label': 'Project' },
      el('option', { value: '' }, 'All projects'));
    if (filters.project) projectSelect.appendChild(el('option', { value: filters.project }, filters.project));
    projectSelect.value = filters.project;
    const search = el('input', { id: 'filter-q', type: 'search', placeholder: 'Search span names…',
      'aria-label': 'Search span names', autocomplete: 'off', spellcheck: 'false', value: filters.q });
    const count = el('span', { class: 'muted count' });
    const results = el('div', { class: 'results' });
    const pager = el('div', { class: 'pager' });

    const toolbar = el('div', { class: 'toolbar' },
      el('label', { class: 'field' }, el('span', { class: 'field-label' }, 'Project'), projectSelect),
      el('label', { class: 'field field-grow' }, el('span', { class: 'field-label' }, 'Span name'), search),
      filters.run_id ? el('span', { class: 'chip' }, 'Run ', el('span', { class: 'mono' }, shortId(filters.run_id)),
        el('button', { class: 'chip-close', type: 'button', title: 'Clear the run filter', 'aria-label': 'Clear the run filter',
          onclick: () => { filters.run_id = ''; filters.offset = 0; update(); toolbar.querySelector('.chip').remove(); } }, '×')) : null,
      el('button', { class: 'button button-quiet', type: 'button', onclick: () => load() }, 'Refresh'));

    clear(app).appendChild(page(
      el('div', { class: 'page-head' }, el('h1', null, 'Sessions'), count),
      toolbar, results, pager));

    let loadSeq = 0;
    function update() {
      history.replaceState(null, '', '#/' + queryString(filters));
      load();
    }

    async function load() {
      const seq = ++loadSeq;
      setState('sessions', 'loading');
      if (!results.firstChild || results.querySelector('.state')) clear(results).appendChild(loadingBox('sessions'));
      else results.classList.add('stale');
      let body;
      try {
        body = await api('/api/sessions' + queryString({ project: filters.project, q: filters.q, run_id: filters.run_id,
          limit: PAGE_SIZE, offset: filters.offset }));
      } catch (error) {
        if (token !== renderToken || seq !== loadSeq) return;
        setState('sessions', 'error');
        results.classList.remove('stale');
        clear(results).appendChild(errorBox('sessions', error, load));
        clear(pager);
        count.textContent = '';
        return;
      }
      if (token !== renderToken || seq !== loadSeq) return;
      results.classList.remove('stale');
      const rows = Array.isArray(body.sessions) ? body.sessions : [];
      const total = typeof body.total === 'number' ? body.total : rows.length;
      count.textContent = plural(total, 'session');
      clear(pager);
      clear(results);
      if (rows.length === 0) {
        const filtered = filters.project || filters.q || filters.run_id;
        setState('sessions', 'empty');
        results.appendChild(filtered
          ? stateBox('empty', 'No sessions match these filters', 'Try another project or span name.',
            el('a', { class: 'button', href: '#/' }, 'Clear filters'))
          : stateBox('empty', 'No sessions yet: run examples/quickstart',
            ['Point an application at this collector (OTLP/HTTP ', el('code', null, '/v1/traces'),
              ' or the HoneyHive Events API) and its sessions appear here.'],
            el('button', { class: 'button', type: 'button', onclick: load }, 'Refresh')));
        return;
      }
      results.appendChild(sessionsTable(rows));
      if (total > rows.length || filters.offset > 0) {
        const first = filters.offset + 1;
        const last = filters.offset + rows.length;
        pager.appendChild(el('span', { class: 'muted' }, formatNumber(first) + '–' + formatNumber(last) + ' of ' + formatNumber(total)));
        pager.appendChild(el('button', { class: 'button button-quiet', type: 'button', disabled: filters.offset === 0,
          onclick: () => { filters.offset = Math.max(0, filters.offset - PAGE_SIZE); update(); } }, '← Newer'));
        pager.appendChild(el('button', { class: 'button button-quiet', type: 'button', disabled: last >= total,
          onclick: () => { filters.offset += PAGE_SIZE; update(); } }, 'Older →'));
      }
      setState('sessions', 'ready');
    }

    projectSelect.addEventListener('change', () => {
      filters.project = projectSelect.value;
      filters.offset = 0;
      update();
    });
    let debounce = 0;
    search.addEventListener('input', () => {
      clearTimeout(debounce);
      debounce = setTimeout(() => {
        filters.q = search.value.trim();
        filters.offset = 0;
        update();
      }, 250);
    });

    load();
    api('/api/projects').then((body) => {
      if (token !== renderToken || !Array.isArray(body.projects)) return;
      for (const name of body.projects) {
        if (typeof name === 'string' && name !== filters.project) projectSelect.appendChild(el('option', { value: name }, name));
      }
      projectSelect.value = filters.project;
    }, () => { /* the list itself reports API failures */ });
  }

  function sessionsTable(rows) {
    const body = el('tbody');
    for (const s of rows) {
      const id = String(s.session_id);
      const row = el('tr', { class: 'session-row', dataset: { sessionId: id } },
        el('td', null, el('span', { class: 'project' }, s.project || '—')),
        el('td', { class: 'cell-name' },
          el('a', { class: 'session-link', href: sessionHref(id) }, s.session_name || id),
          el('div', { class: 'mono small muted' }, id)),
        el('td', { class: 'nowrap' }, timeCell(s.start_time_ns)),
        el('td', { class: 'num' }, formatDuration(s.duration_ms)),
        el('td', { class: 'num' }, typeof s.span_count === 'number' ? formatNumber(s.span_count) : '—'),
        el('td', { class: 'num' }, errorCount(s.error_count)),
        el('td', null, runLink(s.run_id, s.datapoint_id)));
      if (s.error_count > 0) row.classList.add('has-errors');
      rowLink(row, sessionHref(id));
      body.appendChild(row);
    }
    return el('div', { class: 'table-wrap card' }, el('table', { class: 'table sessions-table' },
      el('thead', null, el('tr', null,
        el('th', null, 'Project'), el('th', null, 'Session'), el('th', null, 'Start'),
        el('th', { class: 'num' }, 'Duration'), el('th', { class: 'num' }, 'Spans'), el('th', { class: 'num' }, 'Errors'),
        el('th', null, 'Evaluation run'))),
      body));
  }

  // ---------------------------------------------------------------------------------------------
  // Session page: span tree with waterfall + span panel

  // Parent/child tree of the spans. A span whose parent is missing (not received, or itself) is a
  // root; a parent cycle is broken where it is found, so every span appears exactly once.
  function buildTree(spans) {
    const nodes = spans.map((span, index) => ({ span, index, children: [], depth: 0 }));
    const byId = new Map();
    for (const node of nodes) {
      if (node.span.span_id && !byId.has(node.span.span_id)) byId.set(node.span.span_id, node);
    }
    const roots = [];
    for (const node of nodes) {
      const parent = node.span.parent_span_id ? byId.get(node.span.parent_span_id) : undefined;
      if (parent && parent !== node) parent.children.push(node);
      else roots.push(node);
    }
    const byStart = (a, b) => ((a.span.start_time_ns || 0) - (b.span.start_time_ns || 0)) || (a.index - b.index);
    const seen = new Set();
    const ordered = [];
    function visit(node, depth) {
      seen.add(node);
      node.depth = depth;
      ordered.push(node);
      node.children = node.children.filter((child) => !seen.has(child)).sort(byStart);
      for (const child of node.children) if (!seen.has(child)) visit(child, depth + 1);
    }
    roots.sort(byStart).forEach((root) => visit(root, 0));
    for (const node of nodes) {  // members of a parent cycle: unreachable from any root
      if (!seen.has(node)) {
        roots.push(node);
        visit(node, 0);
      }
    }
    return { roots, ordered };
  }

  function sessionBounds(session, spans) {
    let start = Infinity;
    let end = -Infinity;
    for (const s of spans) {
      if (typeof s.start_time_ns === 'number') start = Math.min(start, s.start_time_ns);
      if (typeof s.end_time_ns === 'number') end = Math.max(end, s.end_time_ns);
    }
    if (!isFinite(start) && typeof session.start_time_ns === 'number') start = session.start_time_ns;
    if (!isFinite(end) && typeof session.end_time_ns === 'number') end = session.end_time_ns;
    if (!isFinite(start)) start = 0;
    if (!isFinite(end) || end < start) end = start;
    return { start, end, total: Math.max(end - start, 1) };
  }

  async function renderSession(token, sessionId, params) {
    setState('session', 'loading');
    clear(app).appendChild(page(crumbs([['Sessions', '#/'], [sessionId]]), loadingBox('the session')));
    let body;
    try {
      body = await api('/api/sessions/' + encodeURIComponent(sessionId));
    } catch (error) {
      if (token !== renderToken) return;
      setState('session', 'error');
      clear(app).appendChild(page(crumbs([['Sessions', '#/'], [sessionId]]), error.status === 404
        ? stateBox('error', 'Session not found', ['No session with id ', el('code', null, sessionId), ' has been received.'],
          el('a', { class: 'button', href: '#/' }, 'Back to sessions'))
        : errorBox('the session', error, () => renderSession(token, sessionId, params))));
      return;
    }
    if (token !== renderToken) return;
    const session = body.session && typeof body.session === 'object' ? body.session : { session_id: sessionId };
    const spans = Array.isArray(body.spans) ? body.spans.filter((s) => s && typeof s === 'object') : [];
    const title = session.session_name || sessionId;
    document.title = title + ' · hh-local';

    const head = el('div', { class: 'page-head' },
      el('h1', { class: 'session-title' }, title),
      session.error_count > 0 ? el('span', { class: 'pill pill-error' }, plural(session.error_count, 'error')) : null);
    const summary = facts([
      ['Project', session.project || '—'],
      ['Source', session.source || '—'],
      ['Start', el('span', { title: isoTime(session.start_time_ns) || null }, formatTime(session.start_time_ns, true))],
      ['Duration', formatDuration(session.duration_ms)],
      ['Spans', formatNumber(typeof session.span_count === 'number' ? session.span_count : spans.length)],
      session.run_id ? ['Evaluation run', runLink(session.run_id, session.datapoint_id)] : null,
      ['Session ID', el('span', { class: 'mono' }, String(session.session_id || sessionId)), 'fact-wide'],
    ]);

    const main = [crumbs([['Sessions', '#/'], [title]]), head, summary];
    if (spans.length === 0) {
      setState('session', 'empty');
      main.push(stateBox('empty', 'This session has no spans', 'Its spans may still be on their way; refresh in a moment.'));
      clear(app).appendChild(page.apply(null, main));
      return;
    }

    const tree = buildTree(spans);
    const bounds = sessionBounds(session, spans);
    const collapsed = new Set();
    let selected = tree.ordered.find((n) => params.span && n.span.span_id === params.span) || tree.ordered[0];

    const treeBody = el('div', { class: 'span-tree', role: 'tree', 'aria-label': 'Spans', tabindex: '0' });
    const panel = el('aside', { class: 'span-panel card', 'aria-label': 'Span details' });
    const treeCard = el('div', { class: 'card tree-card' },
      el('div', { class: 'tree-head' },
        el('div', { class: 'tree-head-label' }, 'Span', el('span', { class: 'muted' }, ' · ' + plural(spans.length, 'span'))),
        waterfallAxis(bounds.total / 1e6),
        el('div', { class: 'tree-head-duration' }, 'Duration')),
      treeBody,
      el('div', { class: 'legend' }, Object.keys(EVENT_TYPES).map((type) =>
        el('span', { class: 'legend-item' }, typeBadge(type), EVENT_TYPES[type].label.replace(/ \(.*\)/, '')))));
    main.push(el('div', { class: 'split' }, treeCard, panel));
    clear(app).appendChild(page.apply(null, main));

    function visibleNodes() {
      const out = [];
      function walk(node) {
        out.push(node);
        if (!collapsed.has(node)) node.children.forEach(walk);
      }
      tree.roots.forEach(walk);
      return out;
    }

    function renderTree() {
      clear(treeBody);
      for (const node of visibleNodes()) treeBody.appendChild(spanRow(node));
    }

    function spanRow(node) {
      const s = node.span;
      const type = eventTypeOf(s);
      const failed = s.status === 'error';
      const duration = spanDurationMs(s);
      const start = typeof s.start_time_ns === 'number' ? s.start_time_ns : bounds.start;
      const left = Math.min(100, Math.max(0, (start - bounds.start) / bounds.total * 100));
      const width = Math.min(100 - left, Math.max(0, (isFinite(duration) ? duration * 1e6 : 0) / bounds.total * 100));
      const hasChildren = node.children.length > 0;
      const isCollapsed = collapsed.has(node);
      const row = el('div', {
        class: 'span-row' + (node === selected ? ' selected' : '') + (failed ? ' is-error' : ''),
        role: 'treeitem', 'aria-level': node.depth + 1, 'aria-selected': node === selected ? 'true' : 'false',
        'aria-expanded': hasChildren ? String(!isCollapsed) : null,
        title: s.name + ' · ' + formatDuration(duration) + (failed && s.status_message ? ' · ' + s.status_message : ''),
        dataset: { spanId: String(s.span_id || ''), eventType: type, depth: String(node.depth), status: String(s.status || 'unset') },
        onclick: () => select(node),
      },
      el('div', { class: 'span-label', style: { paddingLeft: (8 + node.depth * 18) + 'px' } },
        hasChildren
          ? el('button', { class: 'twisty' + (isCollapsed ? ' collapsed' : ''), type: 'button', tabindex: '-1',
            'aria-label': isCollapsed ? 'Expand' : 'Collapse',
            onclick: (event) => { event.stopPropagation(); toggle(node); } }, '▾')
          : el('span', { class: 'twisty-spacer' }),
        typeBadge(type),
        el('span', { class: 'span-name' }, String(s.name === undefined || s.name === null ? '(unnamed)' : s.name)),
        failed ? el('span', { class: 'error-dot', 'aria-label': 'error' }) : null,
        isCollapsed ? el('span', { class: 'muted small' }, ' +' + countDescendants(node)) : null),
      el('div', { class: 'span-waterfall' },
        el('div', { class: 'wf-bar wf-' + type + (failed ? ' wf-error' : ''),
          style: { left: left + '%', width: width + '%' } })),
      el('div', { class: 'span-duration' }, formatDuration(duration)));
      return row;
    }

    function countDescendants(node) {
      return node.children.reduce((n, child) => n + 1 + countDescendants(child), 0);
    }

    function toggle(node) {
      if (collapsed.has(node)) collapsed.delete(node);
      else collapsed.add(node);
      renderTree();
    }

    function select(node) {
      selected = node;
      const at = visibleNodes().indexOf(node);
      Array.from(treeBody.children).forEach((row, i) => {
        row.classList.toggle('selected', i === at);
        row.setAttribute('aria-selected', i === at ? 'true' : 'false');
      });
      history.replaceState(null, '', sessionHref(sessionId, node.span.span_id));
      renderPanel();
    }

    function renderPanel() {
      clear(panel);
      append(panel, spanPanel(selected.span, bounds));
    }

    treeBody.addEventListener('keydown', (event) => {
      const visible = visibleNodes();
      const at = visible.indexOf(selected);
      if (event.key === 'ArrowDown' && at < visible.length - 1) select(visible[at + 1]);
      else if (event.key === 'ArrowUp' && at > 0) select(visible[at - 1]);
      else if (event.key === 'ArrowLeft' && selected.children.length && !collapsed.has(selected)) toggle(selected);
      else if (event.key === 'ArrowRight' && collapsed.has(selected)) toggle(selected);
      else return;
      event.preventDefault();
      const row = treeBody.querySelector('.span-row.selected');
      if (row && row.scrollIntoView) row.scrollIntoView({ block: 'nearest' });
    });

    renderTree();
    renderPanel();
    setState('session', 'ready');
  }

  function crumbs(items) {
    const nav = el('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' });
    items.forEach(([label, href], i) => {
      if (i > 0) nav.appendChild(el('span', { class: 'crumb-sep', 'aria-hidden': 'true' }, '/'));
      nav.appendChild(href ? el('a', { href }, label) : el('span', { class: 'crumb-current' }, label));
    });
    return nav;
  }

  function waterfallAxis(totalMs) {
    const axis = el('div', { class: 'wf-axis', 'aria-hidden': 'true' });
    for (const fraction of [0, 0.25, 0.5, 0.75, 1]) {
      axis.appendChild(el('span', { class: 'wf-tick', style: { left: fraction * 100 + '%' } },
        fraction === 0 ? '0' : formatDuration(totalMs * fraction)));
    }
    return axis;
  }

  function spanPanel(s, bounds) {
    const type = eventTypeOf(s);
    const status = String(s.status || 'unset');
    const offsetMs = typeof s.start_time_ns === 'number' ? (s.start_time_ns - bounds.start) / 1e6 : NaN;
    const out = [];
    out.push(el('div', { class: 'panel-head' },
      typeBadge(type),
      el('h2', { class: 'panel-title' }, String(s.name === undefined || s.name === null ? '(unnamed)' : s.name)),
      el('span', { class: 'pill pill-status-' + status }, status)));
    if (status === 'error' && s.status_message) {
      out.push(el('div', { class: 'panel-error', role: 'note' }, String(s.status_message)));
    }
    out.push(facts([
      ['Type', EVENT_TYPES[type].label],
      ['Kind', s.kind || '—'],
      ['Duration', formatDuration(spanDurationMs(s))],
      ['Start', el('span', { title: formatTime(s.start_time_ns, true) + ' ' + (isoTime(s.start_time_ns) || '') },
        isFinite(offsetMs) ? '+' + formatDuration(offsetMs) : '—')],
      ['Span ID', el('span', { class: 'mono' }, s.span_id || '—'), 'fact-wide'],
      ['Parent', el('span', { class: 'mono' }, s.parent_span_id || '—'), 'fact-wide'],
      ['Trace ID', el('span', { class: 'mono' }, s.trace_id || '—'), 'fact-wide'],
      status !== 'error' && s.status_message ? ['Status message', String(s.status_message), 'fact-wide'] : null,
    ]));

    const empty = [];
    for (const section of SECTIONS) {
      const value = s[section];
      if (isEmptyValue(value)) {
        empty.push(section);
        continue;
      }
      out.push(panelSection(section, title(section), null, keyValues(value), true));
    }
    const events = Array.isArray(s.events) ? s.events : [];
    if (events.length) {
      out.push(panelSection('events', 'Events', events.length, el('ol', { class: 'events' }, events.map((e) =>
        el('li', { class: 'event' },
          el('div', { class: 'event-head' },
            el('span', { class: 'event-name' }, String(e && e.name !== undefined ? e.name : '(unnamed)')),
            el('span', { class: 'muted mono small' }, e && typeof e.time_ns === 'number' && typeof s.start_time_ns === 'number'
              ? '+' + formatDuration((e.time_ns - s.start_time_ns) / 1e6) : '')),
          e && !isEmptyValue(e.attributes) ? keyValues(e.attributes) : null))), true));
    } else {
      empty.push('events');
    }
    const attributes = s.attributes && typeof s.attributes === 'object' ? s.attributes : {};
    const keys = Object.keys(attributes).sort();
    const sorted = {};
    for (const key of keys) sorted[key] = attributes[key];
    out.push(panelSection('attributes', 'Raw attributes', keys.length,
      keys.length ? keyValues(sorted, true) : el('p', { class: 'muted' }, 'No attributes.'), false));
    if (empty.length) {
      out.push(el('p', { class: 'panel-empty muted small' }, 'Empty: ' + empty.join(', ') + '.'));
    }
    return out;
  }

  function title(word) {
    return word.charAt(0).toUpperCase() + word.slice(1);
  }

  function panelSection(name, label, count, content, open) {
    const details = el('details', { class: 'panel-section', dataset: { section: name } },
      el('summary', null, el('span', { class: 'section-title' }, label),
        count !== null && count !== undefined ? el('span', { class: 'count-badge' }, formatNumber(count)) : null),
      el('div', { class: 'section-body' }, content));
    details.open = open;
    return details;
  }

  // ---------------------------------------------------------------------------------------------
  // Values

  function keyValues(value, raw) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      return el('div', { class: 'kv-single' }, renderValue(value));
    }
    return el('table', { class: 'kv' + (raw ? ' kv-raw' : '') }, el('tbody', null, Object.keys(value).map((key) => {
      const rendered = renderValue(value[key]);
      // Structured and long values take the full width under their key instead of a narrow column.
      if (rendered.classList.contains('wide')) {
        return el('tr', { class: 'kv-stacked' }, el('td', { colspan: '2' },
          el('div', { class: 'kv-key' }, key), el('div', { class: 'kv-value' }, rendered)));
      }
      return el('tr', null, el('th', { class: 'kv-key', scope: 'row' }, key), el('td', { class: 'kv-value' }, rendered));
    })));
  }

  // Lines a text takes when wrapped at about the width of the span panel.
  function visualLines(text) {
    return text.split('\n').reduce((n, line) => n + Math.max(1, Math.ceil(line.length / 64)), 0);
  }

  // A string that holds a JSON object or array (lists of objects travel that way) is shown parsed.
  function parseJsonString(text) {
    const trimmed = text.trim();
    if (trimmed.length < 2) return undefined;
    const first = trimmed[0];
    const last = trimmed[trimmed.length - 1];
    if (!((first === '{' && last === '}') || (first === '[' && last === ']'))) return undefined;
    try {
      const parsed = JSON.parse(trimmed);
      return parsed !== null && typeof parsed === 'object' ? parsed : undefined;
    } catch (e) {
      return undefined;
    }
  }

  function renderValue(value) {
    if (value === null || value === undefined) return el('span', { class: 'v-null' }, 'null');
    if (typeof value === 'boolean') return el('span', { class: 'v-bool' }, String(value));
    if (typeof value === 'number') return el('span', { class: 'v-num', title: String(value) }, formatNumber(value));
    if (typeof value === 'string') {
      const parsed = parseJsonString(value);
      if (parsed !== undefined) return jsonBlock(parsed, 'JSON string');
      return stringValue(value);
    }
    return jsonBlock(value);
  }

  function stringValue(text) {
    const lines = text.split('\n').length;
    const node = el('div', { class: 'v-str' }, text);
    if (text.length <= LONG_STRING_CHARS && lines <= LONG_STRING_LINES) return node;
    return collapsible(node, formatNumber(text.length) + ' characters');
  }

  function collapsible(node, size) {
    node.classList.add('collapsed');
    const button = el('button', { class: 'link-button', type: 'button' }, 'Show all (' + size + ')');
    button.addEventListener('click', () => {
      const collapsedNow = node.classList.toggle('collapsed');
      button.textContent = collapsedNow ? 'Show all (' + size + ')' : 'Show less';
    });
    return el('div', { class: 'collapsible wide' }, node, button);
  }

  function jsonBlock(value, note) {
    const pre = el('pre', { class: 'v-json wide' });
    appendJson(pre, value, 0);
    const text = pre.textContent;
    const block = visualLines(text) > LONG_JSON_LINES
      ? collapsible(pre, formatNumber(text.length) + ' characters') : pre;
    if (!note) return block;
    return el('div', { class: 'json-note-wrap wide' }, el('span', { class: 'json-note' }, note), block);
  }

  // Pretty-prints a JSON value as text nodes and token spans (no markup from the data).
  function appendJson(parent, value, depth) {
    const indent = '  '.repeat(depth + 1);
    const closing = '  '.repeat(depth);
    if (value === null || value === undefined) {
      parent.appendChild(el('span', { class: 'j-null' }, 'null'));
    } else if (typeof value === 'boolean') {
      parent.appendChild(el('span', { class: 'j-bool' }, String(value)));
    } else if (typeof value === 'number') {
      parent.appendChild(el('span', { class: 'j-num' }, isFinite(value) ? String(value) : 'null'));
    } else if (typeof value === 'string') {
      parent.appendChild(el('span', { class: 'j-str' }, JSON.stringify(value)));
    } else if (Array.isArray(value)) {
      if (value.length === 0) return append(parent, '[]');
      append(parent, '[\n');
      value.forEach((item, i) => {
        append(parent, indent);
        appendJson(parent, item, depth + 1);
        append(parent, i < value.length - 1 ? ',\n' : '\n');
      });
      append(parent, closing + ']');
    } else if (typeof value === 'object') {
      const keys = Object.keys(value);
      if (keys.length === 0) return append(parent, '{}');
      append(parent, '{\n');
      keys.forEach((key, i) => {
        append(parent, indent);
        parent.appendChild(el('span', { class: 'j-key' }, JSON.stringify(key)));
        append(parent, ': ');
        appendJson(parent, value[key], depth + 1);
        append(parent, i < keys.length - 1 ? ',\n' : '\n');
      });
      append(parent, closing + '}');
    } else {
      append(parent, String(value));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Evaluation runs

  function evaluatorChips(evaluators) {
    const names = evaluators && typeof evaluators === 'object' ? Object.keys(evaluators).sort() : [];
    if (!names.length) return el('span', { class: 'muted' }, '—');
    return el('div', { class: 'chips' }, names.map((name) => {
      const e = evaluators[name] || {};
      return el('span', { class: 'chip chip-metric', title: name + ': average of ' + plural(e.count || 0, 'value'),
        dataset: { evaluator: name } },
        el('span', { class: 'chip-label' }, name),
        el('span', { class: 'chip-value mono' }, typeof e.average === 'number' ? formatNumber(e.average) : '—'));
    }));
  }

  async function renderRuns(token) {
    setState('runs', 'loading');
    document.title = 'Evaluation runs · hh-local';
    const count = el('span', { class: 'muted count' });
    const results = el('div', { class: 'results' }, loadingBox('evaluation runs'));
    clear(app).appendChild(page(el('div', { class: 'page-head' }, el('h1', null, 'Evaluation runs'), count), results));
    let body;
    try {
      body = await api('/api/runs');
    } catch (error) {
      if (token !== renderToken) return;
      setState('runs', 'error');
      clear(results).appendChild(errorBox('evaluation runs', error, () => renderRuns(token)));
      return;
    }
    if (token !== renderToken) return;
    const runs = Array.isArray(body.runs) ? body.runs.filter((r) => r && typeof r === 'object') : [];
    count.textContent = plural(runs.length, 'run');
    clear(results);
    if (!runs.length) {
      setState('runs', 'empty');
      results.appendChild(stateBox('empty', 'No evaluation runs yet: run examples/evaluate',
        'Sessions traced by evaluate() carry a run id; they are grouped here with the average of each evaluator.'));
      return;
    }
    const rows = runs.map((r) => {
      const id = String(r.run_id);
      const row = el('tr', { class: 'run-row', dataset: { runId: id } },
        el('td', { class: 'cell-name' }, el('a', { class: 'mono', href: runHref(id) }, id)),
        el('td', null, el('span', { class: 'project' }, r.project || '—')),
        el('td', { class: 'nowrap' }, timeCell(r.first_start_ns)),
        el('td', { class: 'num' }, typeof r.session_count === 'number' ? formatNumber(r.session_count) : '—'),
        el('td', { class: 'num' }, errorCount(r.error_count)),
        el('td', null, evaluatorChips(r.evaluators)));
      rowLink(row, runHref(id));
      return row;
    });
    results.appendChild(el('div', { class: 'table-wrap card' }, el('table', { class: 'table runs-table' },
      el('thead', null, el('tr', null, el('th', null, 'Run'), el('th', null, 'Project'), el('th', null, 'Started'),
        el('th', { class: 'num' }, 'Sessions'), el('th', { class: 'num' }, 'Errors'), el('th', null, 'Evaluators (average)'))),
      el('tbody', null, rows))));
    setState('runs', 'ready');
  }

  async function renderRun(token, runId) {
    setState('run', 'loading');
    const trail = [['Evaluation runs', '#/runs'], [runId]];
    clear(app).appendChild(page(crumbs(trail), loadingBox('the evaluation run')));
    let body;
    try {
      body = await api('/api/runs/' + encodeURIComponent(runId));
    } catch (error) {
      if (token !== renderToken) return;
      setState('run', 'error');
      clear(app).appendChild(page(crumbs(trail), error.status === 404
        ? stateBox('error', 'Evaluation run not found', ['No sessions with run id ', el('code', null, runId), ' have been received.'],
          el('a', { class: 'button', href: '#/runs' }, 'Back to runs'))
        : errorBox('the evaluation run', error, () => renderRun(token, runId))));
      return;
    }
    if (token !== renderToken) return;
    document.title = 'Run ' + shortId(runId) + ' · hh-local';
    const run = body.run && typeof body.run === 'object' ? body.run : { run_id: runId };
    const sessions = Array.isArray(body.sessions) ? body.sessions.filter((s) => s && typeof s === 'object') : [];
    const evaluators = run.evaluators && typeof run.evaluators === 'object' ? run.evaluators : {};

    const cards = el('div', { class: 'metric-cards' }, Object.keys(evaluators).sort().map((name) => {
      const e = evaluators[name] || {};
      const average = typeof e.average === 'number' ? e.average : NaN;
      const inUnitRange = average >= 0 && average <= 1;
      return el('div', { class: 'metric-card card', dataset: { evaluator: name } },
        el('div', { class: 'metric-name' }, name),
        el('div', { class: 'metric-value mono' }, isFinite(average) ? formatNumber(average) : '—'),
        inUnitRange ? el('div', { class: 'meter' }, el('div', { class: 'meter-fill', style: { width: average * 100 + '%' } })) : null,
        el('div', { class: 'muted small' }, 'average of ' + plural(e.count || 0, 'session')));
    }));

    const metricNames = [];
    for (const s of sessions) {
      if (s.metrics && typeof s.metrics === 'object') {
        for (const name of Object.keys(s.metrics)) if (!metricNames.includes(name)) metricNames.push(name);
      }
    }
    metricNames.sort((a, b) => (a in evaluators ? 0 : 1) - (b in evaluators ? 0 : 1) || a.localeCompare(b));

    const table = el('div', { class: 'table-wrap card' }, el('table', { class: 'table run-sessions-table' },
      el('thead', null, el('tr', null, el('th', null, 'Session'), el('th', null, 'Datapoint'), el('th', null, 'Start'),
        el('th', { class: 'num' }, 'Duration'), el('th', { class: 'num' }, 'Spans'), el('th', { class: 'num' }, 'Errors'),
        metricNames.map((name) => el('th', { class: 'num metric-col' }, name)))),
      el('tbody', null, sessions.map((s) => {
        const id = String(s.session_id);
        const metrics = s.metrics && typeof s.metrics === 'object' ? s.metrics : {};
        const row = el('tr', { class: 'session-row', dataset: { sessionId: id } },
          el('td', { class: 'cell-name' }, el('a', { class: 'session-link', href: sessionHref(id) }, s.session_name || id),
            el('div', { class: 'mono small muted' }, id)),
          el('td', { class: 'mono' }, s.datapoint_id || '—'),
          el('td', { class: 'nowrap' }, timeCell(s.start_time_ns)),
          el('td', { class: 'num' }, formatDuration(s.duration_ms)),
          el('td', { class: 'num' }, typeof s.span_count === 'number' ? formatNumber(s.span_count) : '—'),
          el('td', { class: 'num' }, errorCount(s.error_count)),
          metricNames.map((name) => el('td', { class: 'num metric-col' }, metricCell(metrics[name]))));
        rowLink(row, sessionHref(id));
        return row;
      }))));

    clear(app).appendChild(page(
      crumbs([['Evaluation runs', '#/runs'], [shortId(runId)]]),
      el('div', { class: 'page-head' }, el('h1', null, 'Run ', el('span', { class: 'mono' }, runId))),
      facts([
        ['Project', run.project || '—'],
        ['Started', el('span', { title: isoTime(run.first_start_ns) || null }, formatTime(run.first_start_ns, true))],
        ['Sessions', formatNumber(typeof run.session_count === 'number' ? run.session_count : sessions.length)],
        ['Errors', errorCount(run.error_count)],
      ]),
      Object.keys(evaluators).length ? el('h2', { class: 'section-heading' }, 'Evaluators') : null,
      Object.keys(evaluators).length ? cards : null,
      el('h2', { class: 'section-heading' }, 'Sessions'),
      sessions.length ? table : stateBox('empty', 'No sessions in this run', null)));
    setState('run', sessions.length ? 'ready' : 'empty');
  }

  function metricCell(value) {
    if (value === undefined) return el('span', { class: 'muted' }, '—');
    if (typeof value === 'boolean') return el('span', { class: value ? 'v-true' : 'v-false' }, value ? '✓ true' : '✗ false');
    if (typeof value === 'number') return el('span', { class: 'mono', title: String(value) }, formatNumber(value));
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    return el('span', { class: 'metric-text', title: text }, text.length > 40 ? text.slice(0, 39) + '…' : text);
  }

  // ---------------------------------------------------------------------------------------------
  // Health indicator in the top bar

  function checkHealth() {
    const badge = document.getElementById('health');
    if (!badge) return;
    api('/api/health').then((body) => {
      badge.dataset.state = body.status === 'ok' ? 'ok' : 'error';
      badge.textContent = body.status === 'ok' ? 'collector ' + (body.version ? 'v' + body.version : 'running') : 'collector: ' + body.status;
      badge.title = 'GET /api/health → ' + JSON.stringify(body);
    }, (error) => {
      badge.dataset.state = 'error';
      badge.textContent = error.status ? 'collector error (HTTP ' + error.status + ')' : 'collector unreachable';
      badge.title = error.message;
    });
  }

  window.addEventListener('hashchange', route);
  route();
  checkHealth();
})();
