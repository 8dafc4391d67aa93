/* bd dependency graph: draws the JSON of bd.views.html.graph_data as SVG.
   Used by `bd graph --format html` (inlined) and by the `bd ui` board (/static/graph.js).
   Issue text only ever reaches the page through textContent and setAttribute. */
(function () {
  'use strict';
  var NS = 'http://www.w3.org/2000/svg';
  var W = 220, H = 60, GX = 290, GY = 76, M = 30;
  var ICON = {open: '\u25cb', in_progress: '\u25d0', blocked: '\u25cf', closed: '\u2713',
              deferred: '\u2744', pinned: '\ud83d\udccc', hooked: '\u25d0'};
  var WAITS = {'blocks': 1, 'conditional-blocks': 1, 'waits-for': 1};

  function el(name, attrs, parent) {
    var e = document.createElementNS(NS, name);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, String(attrs[k])); });
    if (parent) parent.appendChild(e);
    return e;
  }
  function html(name, cls, text, parent) {
    var e = document.createElement(name);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (parent) parent.appendChild(e);
    return e;
  }
  function clip(s, n) {
    s = String(s == null ? '' : s).replace(/\s+/g, ' ');
    return s.length > n ? s.slice(0, n - 1) + '\u2026' : s;
  }
  function token(s) { return String(s || '').toLowerCase().replace(/[^a-z0-9_]/g, '_'); }
  function prio(n) { return 'P' + (typeof n.priority === 'number' ? n.priority : 2); }

  function render(container, data, opts) {
    opts = opts || {};
    container.textContent = '';
    var byId = {}, waitsOn = {}, blocks = {}, children = {};
    data.nodes.forEach(function (n) { byId[n.id] = n; waitsOn[n.id] = []; blocks[n.id] = []; });
    data.edges.forEach(function (e) {
      if (WAITS[e[2]]) { waitsOn[e[0]].push(e[1]); blocks[e[1]].push(e[0]); }
      if (e[2] === 'parent-child') { (children[e[1]] = children[e[1]] || []).push(e[0]); }
    });
    function pos(n) { return {x: M + n.layer * GX, y: M + n.position * GY}; }

    var svg = el('svg', {'class': 'bdg-svg', 'role': 'img',
                         'aria-label': 'Dependency graph'}, container);
    var defs = el('defs', {}, svg);
    var marker = el('marker', {id: 'bdg-arrow', viewBox: '0 0 10 10', refX: 10, refY: 5,
                               markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse'}, defs);
    el('path', {d: 'M 0 0 L 10 5 L 0 10 z', 'class': 'bdg-arrowhead'}, marker);
    var view = el('g', {'class': 'bdg-view'}, svg);
    var edgeLayer = el('g', {'class': 'bdg-edges'}, view);
    var nodeLayer = el('g', {'class': 'bdg-nodes'}, view);
    var edgeEls = [], nodeEls = {};

    data.edges.forEach(function (e) {
      var a = byId[e[0]], b = byId[e[1]];
      if (!a || !b) return;
      var from, to, cls;
      if (WAITS[e[2]]) { from = b; to = a; cls = 'bdg-edge bdg-waits'; }
      else if (e[2] === 'parent-child') { from = b; to = a; cls = 'bdg-edge bdg-parent'; }
      else { from = a; to = b; cls = 'bdg-edge bdg-link'; }
      var p = pos(from), q = pos(to);
      var x1 = p.x + W, y1 = p.y + H / 2, x2 = q.x, y2 = q.y + H / 2;
      if (q.x <= p.x) { x1 = p.x + W / 2; y1 = p.y + H; x2 = q.x + W / 2; y2 = q.y; }
      var mx = (x1 + x2) / 2;
      var d = 'M ' + x1 + ' ' + y1 + ' C ' + mx + ' ' + y1 + ', ' + mx + ' ' + y2 + ', ' +
              x2 + ' ' + y2;
      var path = el('path', {d: d, 'class': cls}, edgeLayer);
      if (WAITS[e[2]]) path.setAttribute('marker-end', 'url(#bdg-arrow)');
      var t = el('title', {}, path);
      t.textContent = e[0] + ' ' + e[2] + ' ' + e[1];
      edgeEls.push({a: e[0], b: e[1], el: path});
    });

    var maxX = 0, maxY = 0;
    data.nodes.forEach(function (n) {
      var p = pos(n);
      maxX = Math.max(maxX, p.x + W); maxY = Math.max(maxY, p.y + H);
      var cls = 'bdg-node st-' + token(n.status);
      if (n.ready) cls += ' bdg-ready';
      if (n.context) cls += ' bdg-context';
      if (n.id === data.root) cls += ' bdg-root';
      var g = el('g', {'class': cls, transform: 'translate(' + p.x + ',' + p.y + ')',
                       tabindex: 0, 'data-id': n.id}, nodeLayer);
      el('rect', {width: W, height: H, rx: 8, ry: 8}, g);
      if (n.parent) {
        var hue = 0;
        for (var i = 0; i < n.parent.length; i++) hue = (hue * 31 + n.parent.charCodeAt(i)) % 360;
        var stripe = el('rect', {width: 6, height: H, rx: 3, 'class': 'bdg-stripe'}, g);
        stripe.style.fill = 'hsl(' + hue + ',55%,55%)';  // CSSOM: allowed by the CSP
      }
      var head = el('text', {x: 12, y: 18, 'class': 'bdg-head'}, g);
      head.textContent = (ICON[n.status] || '\u25cb') + ' ' + clip(n.id, 22) + '  ' + prio(n) +
                         (n.ready ? '  \u2605 ready' : '');
      var title = el('text', {x: 12, y: 36, 'class': 'bdg-text'}, g);
      title.textContent = clip(n.title, 30);
      var meta = el('text', {x: 12, y: 52, 'class': 'bdg-meta'}, g);
      meta.textContent = clip([n.issue_type, n.assignee ? '@' + n.assignee : ''].filter(Boolean)
                              .join('  '), 32);
      var tip = el('title', {}, g);
      tip.textContent = n.id + ': ' + (n.title || '');
      g.addEventListener('click', function () { select(n.id, true); });
      g.addEventListener('keydown', function (ev) { if (ev.key === 'Enter') select(n.id, true); });
      nodeEls[n.id] = g;
    });
    var width = maxX + M, height = maxY + M;

    // Pan and zoom by rewriting the view transform.
    var tx = 0, ty = 0, scale = 1;
    function apply() { view.setAttribute('transform', 'translate(' + tx + ',' + ty + ') scale(' + scale + ')'); }
    svg.addEventListener('wheel', function (ev) {
      ev.preventDefault();
      var r = svg.getBoundingClientRect(), cx = ev.clientX - r.left, cy = ev.clientY - r.top;
      var f = ev.deltaY < 0 ? 1.15 : 1 / 1.15;
      var ns = Math.min(3, Math.max(0.05, scale * f));
      tx = cx - (cx - tx) * ns / scale; ty = cy - (cy - ty) * ns / scale; scale = ns;
      apply();
    }, {passive: false});
    var drag = null;
    svg.addEventListener('mousedown', function (ev) { drag = {x: ev.clientX - tx, y: ev.clientY - ty}; });
    window.addEventListener('mouseup', function () { drag = null; });
    svg.addEventListener('mousemove', function (ev) {
      if (drag) { tx = ev.clientX - drag.x; ty = ev.clientY - drag.y; apply(); }
    });
    function fit() {
      var r = svg.getBoundingClientRect();
      var s = Math.min(1, (r.width || 800) / width, (r.height || 600) / height);
      scale = Math.max(s, 0.35); tx = 0; ty = 0; apply();
    }
    function focus(id) {
      var n = byId[id];
      if (!n) return;
      var r = svg.getBoundingClientRect(), p = pos(n);
      tx = (r.width || 800) / 2 - (p.x + W / 2) * scale;
      ty = (r.height || 600) / 2 - (p.y + H / 2) * scale;
      apply();
    }

    var panel = opts.panel || null, selected = null;
    function item(list, label, ids) {
      if (!ids.length) return;
      html('dt', '', label, list);
      var dd = html('dd', '', null, list);
      ids.forEach(function (id) {
        var b = html('button', 'bdg-link-btn', id, dd);
        b.type = 'button';
        b.addEventListener('click', function () { select(id, true); focus(id); });
      });
    }
    function select(id, user) {
      if (selected && nodeEls[selected]) nodeEls[selected].classList.remove('bdg-selected');
      selected = id;
      var n = byId[id];
      if (!n) return;
      nodeEls[id].classList.add('bdg-selected');
      edgeEls.forEach(function (e) {
        e.el.classList.toggle('bdg-hot', e.a === id || e.b === id);
      });
      if (panel) {
        panel.hidden = false;
        panel.textContent = '';
        html('h2', 'bdg-panel-title', (ICON[n.status] || '') + ' ' + n.id, panel);
        html('p', 'bdg-panel-text', n.title, panel);
        var dl = html('dl', '', null, panel);
        [['Status', n.status], ['Priority', prio(n)], ['Type', n.issue_type],
         ['Assignee', n.assignee || '\u2014'], ['Labels', (n.labels || []).join(', ') || '\u2014'],
         ['Ready', n.ready ? 'yes' : 'no']].forEach(function (kv) {
          html('dt', '', kv[0], dl); html('dd', '', kv[1], dl);
        });
        if (n.parent) item(dl, 'Parent', [n.parent]);
        item(dl, 'Waits on', waitsOn[id]);
        item(dl, 'Unblocks', blocks[id]);
        item(dl, 'Children', children[id] || []);
      }
      if (user && opts.onSelect) opts.onSelect(id);
    }
    function search(q) {
      q = String(q || '').trim().toLowerCase();
      var first = null;
      data.nodes.forEach(function (n) {
        var hit = !q || (n.id + ' ' + (n.title || '')).toLowerCase().indexOf(q) >= 0;
        nodeEls[n.id].classList.toggle('bdg-dim', !hit);
        if (hit && q && first === null) first = n.id;
      });
      if (first) { focus(first); select(first, false); }
    }
    fit();
    if (data.root && byId[data.root]) { select(data.root, false); }
    return {svg: svg, select: select, focus: focus, search: search, fit: fit,
            size: {width: width, height: height}};
  }

  window.bdGraph = {render: render};

  // Standalone page (bd graph --format html): the data sits in the page itself.
  var dataEl = document.getElementById('bd-graph-data');
  if (dataEl) {
    var data = JSON.parse(dataEl.textContent);
    var titleEl = document.querySelector('.bdg-title');
    if (titleEl) titleEl.textContent = data.title || 'bd graph';
    var legend = document.querySelector('.bdg-legend');
    if (legend) {
      legend.textContent = data.nodes.length + ' issues \u00b7 ' + data.layers + ' layers \u00b7 ' +
        '\u25cb open  \u25d0 in progress  \u25cf blocked  \u2713 closed  \u2744 deferred  \u2605 ready' +
        (data.cycles.length ? '  \u00b7  \u26a0 ' + data.cycles.length + ' cycle(s)' : '');
    }
    var api = render(document.getElementById('graph'), data,
                     {panel: document.querySelector('.bdg-panel')});
    var box = document.querySelector('.bdg-search');
    if (box) box.addEventListener('input', function () { api.search(box.value); });
  }
})();
