// corio-serve dashboard: live numbers from /api/events (server-sent events), a chart of
// requests/s, and the /ws/chat room. No build step, no dependencies.
'use strict';

const $ = (id) => document.getElementById(id);
const history = [];  // requests/s, one entry per second, newest last

function formatLatency(us) {
  if (!us) return '–';
  return us < 1000 ? `${us} µs` : `${(us / 1000).toFixed(us < 10000 ? 2 : 1)} ms`;
}

// The chart: requests/s over the last 60 s, with a labelled rate axis and a time axis.
function drawChart() {
  const canvas = $('chart');
  const ctx = canvas.getContext('2d');
  const w = canvas.width, h = canvas.height;
  const left = 64, bottom = 18, top = 8, right = 8;
  const pw = w - left - right, ph = h - top - bottom;
  ctx.clearRect(0, 0, w, h);
  const peak = Math.max(10, ...history);
  const step = 10 ** Math.floor(Math.log10(peak / 2));
  const tick = [1, 2, 5, 10].map((m) => m * step).find((t) => peak / t <= 5);
  const max = Math.ceil(peak / tick) * tick;
  ctx.font = '11px sans-serif';
  ctx.fillStyle = '#666';
  ctx.textBaseline = 'middle';
  ctx.textAlign = 'right';
  for (let v = 0; v <= max; v += tick) {  // rate axis: gridlines with their values
    const y = top + ph - (ph * v) / max;
    ctx.strokeStyle = v === 0 ? '#999' : '#eee';
    ctx.beginPath(); ctx.moveTo(left, y); ctx.lineTo(left + pw, y); ctx.stroke();
    ctx.fillText(`${v} req/s`, left - 4, y);
  }
  ctx.textBaseline = 'top';
  ctx.textAlign = 'center';
  for (let ago = 60; ago >= 0; ago -= 15) {  // time axis: seconds before now
    const x = left + (pw * (60 - ago)) / 60;
    ctx.strokeStyle = '#eee';
    ctx.beginPath(); ctx.moveTo(x, top); ctx.lineTo(x, top + ph); ctx.stroke();
    ctx.fillText(ago === 0 ? 'now' : `−${ago} s`, Math.min(Math.max(x, left + 12), left + pw - 12), top + ph + 4);
  }
  ctx.strokeStyle = '#2a7ae2';
  ctx.lineWidth = 2;
  ctx.beginPath();
  history.forEach((v, i) => {
    const x = left + (pw * (i + 60 - history.length)) / 59;
    const y = top + ph - (ph * v) / max;
    if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
  });
  ctx.stroke();
  ctx.lineWidth = 1;
}

// The per-route table: the last second's rate and latency, errors since start.
function showRoutes(routes) {
  const body = $('routes').tBodies[0];
  body.replaceChildren(...(routes || []).map((r) => {
    const row = document.createElement('tr');
    row.dataset.route = r.route;
    for (const [value, cls] of [[r.route, 'name'], [r.rps, 'num'], [formatLatency(r.p50_us), 'num'],
                                [formatLatency(r.p99_us), 'num'], [r.client_errors, 'num'],
                                [r.server_errors, 'num'], [r.requests, 'num']]) {
      const cell = document.createElement('td');
      cell.className = cls;
      cell.textContent = value;
      row.appendChild(cell);
    }
    return row;
  }));
}

// The task tree: groups (task_group, gather, race...) under the task that owns them where known,
// their tasks under them. Collapsed nodes stay collapsed across updates.
const collapsed = new Set();

function showTaskTree(tasks, total) {
  const box = $('task-tree');
  if (!tasks) return;
  $('task-tree-note').textContent = `(${total} live${total > tasks.length ? `, the oldest ${tasks.length} shown` : ''})`;
  const groups = new Map();
  const rootTasks = [];
  for (const t of tasks) {
    if (!t.group) { rootTasks.push(t); continue; }
    if (!groups.has(t.group.id)) groups.set(t.group.id, { ...t.group, tasks: [] });
    groups.get(t.group.id).tasks.push(t);
  }
  const ids = new Set(tasks.map((t) => t.id));
  const owned = new Map();
  const rootGroups = [];
  for (const g of groups.values()) {
    if (g.owner && ids.has(g.owner)) {
      if (!owned.has(g.owner)) owned.set(g.owner, []);
      owned.get(g.owner).push(g);
    } else rootGroups.push(g);
  }
  const node = (key, label, children) => {
    if (!children.length) {
      const div = document.createElement('div');
      div.className = 'task';
      div.textContent = label;
      return div;
    }
    const d = document.createElement('details');
    d.open = !collapsed.has(key);
    d.addEventListener('toggle', () => (d.open ? collapsed.delete(key) : collapsed.add(key)));
    const summary = document.createElement('summary');
    summary.textContent = label;
    d.appendChild(summary);
    for (const c of children) d.appendChild(c);
    return d;
  };
  const taskNode = (t) => node(`t${t.id}`,
    `task #${t.id} '${t.name}' ${t.state}, ${Math.round(t.age_ms)} ms` + (t.waiting_on ? `, waiting on ${t.waiting_on}` : ''),
    (owned.get(t.id) || []).map(groupNode));
  const groupNode = (g) => node(`g${g.id}`, `${g.kind} #${g.id} (${g.tasks.length} task${g.tasks.length === 1 ? '' : 's'})`,
    g.tasks.map(taskNode));
  box.replaceChildren(...rootTasks.map(taskNode), ...rootGroups.map(groupNode));
}

function connectStats() {
  const events = new EventSource('/api/events');
  events.onopen = () => { $('status').textContent = 'live'; $('status').className = 'status live'; };
  events.onerror = () => { $('status').textContent = 'reconnecting…'; $('status').className = 'status down'; };
  events.onmessage = (e) => {
    const s = JSON.parse(e.data);
    $('rps').textContent = s.rps;
    $('active').textContent = s.active_connections;
    $('tasks').textContent = s.live_tasks;
    $('p99').textContent = formatLatency(s.window_p99_us);
    $('requests').textContent = s.requests;
    showRoutes(s.routes);
    showTaskTree(s.task_tree, s.task_count);
    history.push(s.rps);
    if (history.length > 60) history.shift();
    drawChart();
  };
}

function addLine(text, cls) {
  const log = $('chat-log');
  const line = document.createElement('div');
  if (cls) line.className = cls;
  line.textContent = text;
  log.appendChild(line);
  log.scrollTop = log.scrollHeight;
}

let socket = null;
let socketName = null;

function openChat() {
  const wanted = new URLSearchParams(location.search).get('name');
  const name = $('chat-name').value.trim() || wanted || `guest-${Math.floor(Math.random() * 1000)}`;
  $('chat-name').value = name;
  socketName = name;
  const scheme = location.protocol === 'https:' ? 'wss://' : 'ws://';
  socket = new WebSocket(`${scheme}${location.host}/ws/chat?name=${encodeURIComponent(name)}`);
  socket.onmessage = (e) => {
    const m = JSON.parse(e.data);
    if (m.type === 'message') addLine(`${m.from}: ${m.text}`, 'message');
    else if (m.type === 'presence') {
      const names = (list, count) => list.join(', ') + (count > list.length ? ` and ${count - list.length} more` : '');
      const parts = [];
      if (m.joined_count) parts.push(`${names(m.joined, m.joined_count)} joined`);
      if (m.left_count) parts.push(`${names(m.left, m.left_count)} left`);
      addLine(`* ${parts.join('; ')} (${m.members} here)`, 'event');
    } else addLine(`* ${m.name} ${m.type === 'join' ? 'joined' : 'left'} (${m.members} here)`, 'event');
  };
  socket.onclose = (e) => {
    addLine(`* disconnected (${e.code}${e.reason ? ' ' + e.reason : ''})`, 'event');
    socket = null;
  };
  return new Promise((resolve) => { socket.onopen = resolve; });
}

$('chat-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const text = $('chat-input').value;
  if (!text) return;
  const name = $('chat-name').value.trim();
  if (socket && name && name !== socketName) { socket.close(); socket = null; }
  if (!socket) await openChat();
  else if (socket.readyState === WebSocket.CONNECTING) await new Promise((r) => socket.addEventListener('open', r));
  socket.send(text);
  $('chat-input').value = '';
});

connectStats();
drawChart();
openChat();
