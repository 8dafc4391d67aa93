/* bd ui: the board's page.  Every element is built with createElement and textContent;
   no issue text is ever parsed as HTML.  Writes send the per-run token in a header. */
(function () {
  'use strict';
  var params = new URLSearchParams(location.search);
  var TOKEN = params.get('token') || sessionStorage.getItem('bd-token') || '';
  if (params.get('token')) {
    sessionStorage.setItem('bd-token', TOKEN);
    history.replaceState(null, '', location.pathname + location.hash);
  }
  var ICON = {open: '\u25cb', in_progress: '\u25d0', blocked: '\u25cf', closed: '\u2713',
              deferred: '\u2744'};
  var app = document.getElementById('app');
  var state = {board: null, readonly: false, version: 0, view: 'board', arg: null};
  window.bdUi = state;

  function h(name, cls, text, parent) {
    var e = document.createElement(name);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (parent) parent.appendChild(e);
    return e;
  }
  function button(label, cls, onClick, parent, testid) {
    var b = h('button', cls, label, parent);
    b.type = 'button';
    if (testid) b.setAttribute('data-testid', testid);
    b.addEventListener('click', function (ev) { ev.stopPropagation(); onClick(ev); });
    return b;
  }
  function link(text, hash, cls, parent) {
    var a = h('a', cls, text, parent);
    a.href = hash;
    return a;
  }
  function toast(msg, bad) {
    var t = document.getElementById('toast');
    t.textContent = msg;
    t.className = 'toast' + (bad ? ' bad' : '');
    t.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(function () { t.hidden = true; }, 4000);
  }

  function api(method, path, body) {
    var opts = {method: method, headers: {'X-Bd-Token': TOKEN}, cache: 'no-store'};
    if (body !== undefined) {
      opts.headers['Content-Type'] = 'application/json';
      opts.body = JSON.stringify(body);
    }
    return fetch('/api/' + path, opts).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        if (!r.ok) throw new Error(data.error || ('HTTP ' + r.status));
        if (typeof data.readonly === 'boolean') {
          state.readonly = data.readonly;
          document.body.classList.toggle('readonly', data.readonly);
        }
        return data;
      });
    });
  }
  function write(path, body, done) {
    return api('POST', path, body || {}).then(function (data) {
      if (done) toast(done);
      return refresh(true).then(function () { return data; });
    }).catch(function (err) { toast(err.message, true); });
  }
  function filters() {
    var q = new URLSearchParams();
    ['q', 'assignee', 'label', 'type', 'priority'].forEach(function (k) {
      var v = document.getElementById('f-' + k).value.trim();
      if (v) q.set(k, v);
    });
    return q.toString();
  }

  // -- pieces ---------------------------------------------------------------------------------
  function prioBadge(p, parent) { return h('span', 'prio p' + p, 'P' + p, parent); }
  function cardEl(c, parent) {
    var el = h('article', 'card st-' + String(c.status).replace(/[^a-z_]/g, '_'), null, parent);
    el.setAttribute('data-id', c.id);
    el.setAttribute('data-testid', 'card');
    var top = h('div', 'card-top', null, el);
    prioBadge(c.priority, top);
    h('span', 'type', c.issue_type, top);
    h('span', 'cid', c.id, top);
    if (c.ready) h('span', 'ready', '\u2605 ready', top);
    var title = link(c.title, '#/issue/' + encodeURIComponent(c.id), 'card-title', el);
    title.setAttribute('data-testid', 'card-title');
    var meta = h('div', 'card-meta', null, el);
    if (c.assignee) h('span', 'assignee', '@' + c.assignee, meta);
    (c.labels || []).forEach(function (l) { h('span', 'label', l, meta); });
    if (!state.readonly) {
      var acts = h('div', 'card-actions', null, el);
      if (c.status !== 'closed') {
        if (!c.assignee) button('Claim', '', function () {
          write('issue/' + encodeURIComponent(c.id) + '/claim', {}, 'Claimed ' + c.id);
        }, acts, 'claim-' + c.id);
        button('Close', '', function () {
          write('issue/' + encodeURIComponent(c.id) + '/close', {reason: 'Closed from the board'},
                'Closed ' + c.id);
        }, acts, 'close-' + c.id);
      } else {
        button('Reopen', '', function () {
          write('issue/' + encodeURIComponent(c.id) + '/reopen', {}, 'Reopened ' + c.id);
        }, acts, 'reopen-' + c.id);
      }
    }
    return el;
  }

  // -- views ----------------------------------------------------------------------------------
  function renderBoard(b) {
    app.textContent = '';
    var head = h('div', 'view-head', null, app);
    h('h1', '', 'Board', head);
    h('span', 'muted', b.ready_count + ' ready \u00b7 ' + b.workspace, head);
    var cols = h('div', 'columns', null, app);
    b.columns.forEach(function (col) {
      var c = h('section', 'column', null, cols);
      c.setAttribute('data-status', col.status);
      var t = h('h2', '', (ICON[col.status] || '') + ' ' + col.title, c);
      var closed = col.status === 'closed';
      h('span', 'count', (closed ? 'latest ' : '') + col.count + (col.more && !closed ? '+' : ''), t);
      col.cards.forEach(function (card) { cardEl(card, c); });
      if (col.more && !closed) h('p', 'muted', 'More not shown: narrow the filters', c);
    });
  }
  function renderReady(b) {
    app.textContent = '';
    var head = h('div', 'view-head', null, app);
    h('h1', '', 'Ready to work', head);
    h('span', 'muted', b.ready_count + ' issues wait on nothing', head);
    var list = h('div', 'list', null, app);
    if (!b.ready.length) h('p', 'muted', 'Nothing is ready.', list);
    b.ready.forEach(function (c) { cardEl(c, list); });
  }
  function renderEpics(b) {
    app.textContent = '';
    if (!b.epics) b = {epics: []};
    h('h1', '', 'Epics', h('div', 'view-head', null, app));
    var list = h('div', 'list', null, app);
    if (!b.epics.length) h('p', 'muted', 'No open epics.', list);
    b.epics.forEach(function (e) {
      var row = h('div', 'epic', null, list);
      row.setAttribute('data-id', e.id);
      link(e.id + '  ' + e.title, '#/issue/' + encodeURIComponent(e.id), 'epic-title', row);
      var bar = h('progress', '', null, row);
      bar.max = Math.max(1, e.total);
      bar.value = e.closed;
      h('span', 'muted', e.closed + '/' + e.total + ' closed (' + e.percent + '%)' +
        (e.eligible_for_close ? ' \u2014 ready to close' : ''), row);
    });
  }
  function section(title, parent) {
    var s = h('section', 'detail-section', null, parent);
    h('h2', '', title, s);
    return s;
  }
  function links(items, parent) {
    var ul = h('ul', 'links', null, parent);
    if (!items.length) h('li', 'muted', 'none', ul);
    items.forEach(function (d) {
      var li = h('li', '', null, ul);
      h('span', 'st', ICON[d.status] || '?', li);
      link(d.id, '#/issue/' + encodeURIComponent(d.id), '', li);
      h('span', '', ' ' + d.title, li);
      h('span', 'muted', ' (' + d.type + ')', li);
    });
  }
  function renderIssue(d) {
    var i = d.issue;
    app.textContent = '';
    var page = h('div', 'detail', null, app);
    page.setAttribute('data-id', i.id);
    var head = h('div', 'view-head', null, page);
    var title = h('h1', 'issue-title', i.title, head);
    title.setAttribute('data-testid', 'issue-title');
    var meta = h('div', 'detail-meta', null, page);
    h('span', 'st', (ICON[i.status] || '') + ' ' + i.status, meta);
    prioBadge(i.priority, meta);
    h('span', 'type', i.issue_type, meta);
    h('span', 'cid', i.id, meta);
    if (i.ready) h('span', 'ready', '\u2605 ready', meta);
    if (i.assignee) h('span', 'assignee', '@' + i.assignee, meta);
    (i.labels || []).forEach(function (l) { h('span', 'label', l, meta); });
    if (d.parent) { h('span', 'muted', 'in', meta); link(d.parent, '#/issue/' + encodeURIComponent(d.parent), '', meta); }
    link('Graph', '#/graph/' + encodeURIComponent(i.id), 'button-link', meta);
    var enc = encodeURIComponent(i.id);
    if (!state.readonly) {
      var acts = h('div', 'detail-actions', null, page);
      if (i.status !== 'closed') {
        if (!i.assignee) button('Claim', '', function () { write('issue/' + enc + '/claim', {}, 'Claimed'); }, acts, 'claim');
        button('Close', '', function () { write('issue/' + enc + '/close', {reason: 'Closed from the board'}, 'Closed'); }, acts, 'close');
      } else {
        button('Reopen', '', function () { write('issue/' + enc + '/reopen', {}, 'Reopened'); }, acts, 'reopen');
      }
      button('Edit', '', function () { editForm(i, page); }, acts, 'edit');
    }
    [['Description', 'description'], ['Design', 'design'],
     ['Acceptance criteria', 'acceptance_criteria'], ['Notes', 'notes']].forEach(function (f) {
      if (f[1] === 'description' || i[f[1]]) {
        var s = section(f[0], page);
        var p = h('p', 'prose', i[f[1]] || '\u2014', s);
        if (f[1] === 'description') p.setAttribute('data-testid', 'issue-description');
      }
    });
    if (d.blocked_by.length) {
      var bs = section('Blocked by', page);
      h('p', '', d.blocked_by.join(', '), bs);
    }
    links(d.depends_on, section('Depends on', page));
    links(d.dependents, section('Dependents', page));
    var cs = section('Comments (' + d.comments.length + ')', page);
    d.comments.forEach(function (c) {
      var div = h('div', 'comment', null, cs);
      h('div', 'muted', c.author + ' \u00b7 ' + c.created_at, div);
      h('p', 'prose', c.text, div);
    });
    if (!state.readonly) {
      var form = h('form', 'comment-form', null, cs);
      var ta = h('textarea', '', null, form);
      ta.rows = 3;
      ta.placeholder = 'Add a comment';
      ta.setAttribute('data-testid', 'comment-text');
      var send = h('button', 'primary', 'Comment', form);
      send.type = 'submit';
      form.addEventListener('submit', function (ev) {
        ev.preventDefault();
        var text = ta.value;
        if (!text.trim()) return;
        ta.value = '';
        write('issue/' + enc + '/comment', {text: text}, 'Comment added');
      });
    }
    var hs = section('History', page);
    var ul = h('ul', 'history', null, hs);
    d.events.forEach(function (e) {
      h('li', '', e.created_at + '  ' + e.event_type + '  ' + (e.actor || '') +
        (e.comment ? '  \u201c' + e.comment + '\u201d' : ''), ul);
    });
  }
  function editForm(i, page) {
    var form = h('form', 'edit-form', null, null);
    page.insertBefore(form, page.children[2] || null);
    function field(label, name, value, kind) {
      var l = h('label', '', label, form);
      var input = h(kind || 'input', '', null, l);
      input.name = name;
      input.value = value == null ? '' : value;
      input.setAttribute('data-testid', 'edit-' + name);
      return input;
    }
    field('Title', 'title', i.title);
    field('Description', 'description', i.description, 'textarea');
    field('Assignee', 'assignee', i.assignee);
    field('Priority (0-4)', 'priority', i.priority);
    field('Status', 'status', i.status);
    var save = h('button', 'primary', 'Save', form);
    save.type = 'submit';
    save.setAttribute('data-testid', 'edit-save');
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      var body = {};
      ['title', 'description', 'assignee', 'status'].forEach(function (k) {
        var v = form.elements[k].value;
        if (v !== (i[k] == null ? '' : String(i[k]))) body[k] = v;
      });
      if (String(form.elements.priority.value) !== String(i.priority)) body.priority = form.elements.priority.value;
      if (Object.keys(body).length) write('issue/' + encodeURIComponent(i.id) + '/update', body, 'Saved');
    });
  }
  var graphApi = null;
  function renderGraph(data) {
    app.textContent = '';
    var head = h('div', 'view-head', null, app);
    h('h1', '', data.title, head);
    h('span', 'muted', data.nodes.length + ' issues \u00b7 ' + data.layers + ' layers' +
      (data.cycles.length ? ' \u00b7 \u26a0 ' + data.cycles.length + ' cycle(s)' : ''), head);
    var find = h('input', 'bdg-search', null, head);
    find.type = 'search';
    find.placeholder = 'Find in graph';
    var wrap = h('div', 'graph-wrap bdg-main', null, app);
    var canvas = h('div', 'bdg-canvas', null, wrap);
    canvas.id = 'graph';
    var panel = h('aside', 'bdg-panel', null, wrap);
    panel.hidden = true;
    graphApi = window.bdGraph.render(canvas, data, {panel: panel, onSelect: function (id) {
      var go = panel.querySelector('.open-issue') || h('p', 'open-issue', null, panel);
      go.textContent = '';
      link('Open ' + id, '#/issue/' + encodeURIComponent(id), 'button-link', go);
    }});
    find.addEventListener('input', function () { graphApi.search(find.value); });
  }

  // -- routing and live updates ---------------------------------------------------------------
  function route() {
    var parts = location.hash.replace(/^#\/?/, '').split('/');
    state.view = parts[0] || 'board';
    state.arg = parts.length > 1 ? decodeURIComponent(parts.slice(1).join('/')) : null;
    document.querySelectorAll('.tabs a').forEach(function (a) {
      a.classList.toggle('active', a.getAttribute('data-view') === state.view);
    });
    return refresh(true);
  }
  var pending = null;
  function refresh(navigated) {
    if (pending && !navigated) return pending;
    var view = state.view, p;
    if (view === 'issue' && state.arg) {
      // A live refresh must not throw away what the user is typing: keep a draft comment,
      // and leave an open edit form alone (it says the issue changed elsewhere).
      var editing = app.querySelector('.edit-form');
      if (!navigated && editing) {
        if (!app.querySelector('.changed-elsewhere')) {
          editing.insertBefore(h('p', 'changed-elsewhere error',
            'This issue changed elsewhere since you opened the form.'), editing.firstChild);
        }
        p = Promise.resolve();
      } else {
        var draft = app.querySelector('[data-testid="comment-text"]');
        var text = draft && !navigated ? draft.value : '';
        p = api('GET', 'issue/' + encodeURIComponent(state.arg)).then(function (d) {
          renderIssue(d);
          var box = app.querySelector('[data-testid="comment-text"]');
          if (box && text) box.value = text;
        });
      }
    } else if (view === 'graph') {
      if (!navigated && graphApi) { p = Promise.resolve(); }
      else p = api('GET', 'graph' + (state.arg ? '?id=' + encodeURIComponent(state.arg) : '')).then(renderGraph);
    } else if (view === 'epics') {
      p = api('GET', 'epics').then(renderEpics);
    } else {
      p = api('GET', 'board?' + filters() + (view === 'ready' ? '&view=ready' : '')).then(function (b) {
        state.board = b;
        if (view === 'ready') renderReady(b);
        else renderBoard(b);
      });
    }
    pending = p.then(function () {
      state.version += 1;
      document.body.setAttribute('data-version', String(state.version));
    }).catch(function (err) {
      app.textContent = '';
      h('p', 'error', err.message, app);
    }).then(function () { pending = null; });
    return pending;
  }
  window.addEventListener('hashchange', route);
  var timer = null;
  document.getElementById('filters').addEventListener('input', function () {
    clearTimeout(timer);
    timer = setTimeout(function () { refresh(true); }, 200);
  });
  document.getElementById('filters').addEventListener('submit', function (ev) { ev.preventDefault(); });

  var live = document.getElementById('live');
  function connect() {
    var es = new EventSource('/api/events?token=' + encodeURIComponent(TOKEN));
    es.addEventListener('hello', function () { live.textContent = '\u25cf live'; live.className = 'live on'; });
    es.addEventListener('change', function () {
      if (state.view !== 'graph') refresh(false);
      else { graphApi = null; refresh(false); }
    });
    es.onerror = function () { live.textContent = '\u25cb reconnecting'; live.className = 'live off'; };
  }

  var dialog = document.getElementById('create-dialog');
  document.getElementById('new-issue').addEventListener('click', function () { dialog.showModal(); });
  document.getElementById('c-cancel').addEventListener('click', function () { dialog.close(); });
  document.getElementById('create-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var f = ev.target.elements;
    var body = {title: f.title.value, description: f.description.value,
                issue_type: f.issue_type.value, priority: f.priority.value};
    if (f.assignee.value.trim()) body.assignee = f.assignee.value.trim();
    if (f.parent.value.trim()) body.parent = f.parent.value.trim();
    var labels = f.labels.value.split(',').map(function (s) { return s.trim(); }).filter(Boolean);
    if (labels.length) body.labels = labels;
    api('POST', 'issues', body).then(function (res) {
      dialog.close();
      ev.target.reset();
      location.hash = '#/issue/' + encodeURIComponent(res.issue.id);
    }).catch(function (err) { toast(err.message, true); });
  });

  route();
  connect();
})();
