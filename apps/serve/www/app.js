// corio-serve dashboard: live numbers from /api/events (server-sent events), a chart of
// requests/s, and the /ws/chat room. No build step, no dependencies.
'use strict';

const $ = (id) => document.getElementById(id);
const history = [];  // requests/s, one entry per second, newest last

function formatLatency(us) {
  if (!us) return '–';
  return us < 1000 ? `${us} µs` : `${(us / 1000).toFixed(us < 10000 ? 2 : 1)} ms`;
}

function drawChart() {
  const canvas = $('chart');
  const ctx = canvas.getContext('2d');
  const w = canvas.width, h = canvas.height;
  ctx.clearRect(0, 0, w, h);
  const max = Math.max(10, ...history);
  ctx.strokeStyle = '#eee';
  for (let i = 1; i < 4; i++) {
    ctx.beginPath(); ctx.moveTo(0, (h * i) / 4); ctx.lineTo(w, (h * i) / 4); ctx.stroke();
  }
  ctx.fillStyle = '#888';
  ctx.fillText(`${max} req/s`, 4, 12);
  ctx.strokeStyle = '#2a7ae2';
  ctx.lineWidth = 2;
  ctx.beginPath();
  history.forEach((v, i) => {
    const x = (w * (i + 60 - history.length)) / 59;
    const y = h - (h * v) / max;
    if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
  });
  ctx.stroke();
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
