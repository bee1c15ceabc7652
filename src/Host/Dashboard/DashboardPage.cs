namespace TcpActors.Host.Dashboard;

/// <summary>
/// The dashboard page: plain HTML, CSS and JS in one document (the endpoint's namespace reaches nothing else). It polls
/// /api/status every second and shows the connection table with each connection's throughput, congestion window and
/// smoothed RTT over the last two minutes as small charts, the stack's total throughput, and the counters.
/// </summary>
internal static class DashboardPage
{
    public const string Html = """
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>TcpActors dashboard</title>
<style>
  body { font: 13px/1.4 system-ui, sans-serif; margin: 16px; color: #1d232a; background: #f6f7f9; }
  h1 { font-size: 18px; margin: 0 0 4px; }
  .sub { color: #5b6570; margin-bottom: 12px; }
  .cards { display: flex; gap: 12px; flex-wrap: wrap; margin-bottom: 12px; }
  .card { background: #fff; border: 1px solid #dde1e6; border-radius: 6px; padding: 8px 12px; }
  .card b { display: block; font-size: 20px; }
  table { border-collapse: collapse; background: #fff; border: 1px solid #dde1e6; width: 100%; }
  th, td { padding: 4px 8px; border-bottom: 1px solid #eef0f3; text-align: right; white-space: nowrap; }
  th { background: #eef1f5; font-weight: 600; }
  td.l, th.l { text-align: left; font-family: ui-monospace, monospace; }
  .st { font-weight: 600; } .ESTAB { color: #137333; } .TIME-WAIT, .FIN-WAIT-1, .FIN-WAIT-2, .LAST-ACK, .CLOSE-WAIT, .CLOSING { color: #b06000; }
  .SYN-SENT, .SYN-RECV { color: #1a73e8; }
  canvas { vertical-align: middle; }
  #counters { columns: 4 220px; font-family: ui-monospace, monospace; font-size: 12px; background: #fff; border: 1px solid #dde1e6; padding: 8px; }
  #counters div { display: flex; justify-content: space-between; gap: 8px; }
  .err { color: #c5221f; }
</style>
</head>
<body data-updates="0">
<h1>TcpActors at <span id="address">…</span></h1>
<div class="sub">Live from <code>/api/status</code>, every second. <span id="error" class="err"></span></div>
<div class="cards">
  <div class="card">connections<b id="nconn">0</b></div>
  <div class="card">in (B/s)<b id="rin">0</b></div>
  <div class="card">out (B/s)<b id="rout">0</b></div>
  <div class="card">throughput, last 2 min<br><canvas id="total" width="320" height="48"></canvas></div>
</div>
<table id="connections">
  <thead><tr>
    <th class="l">State</th><th class="l">Local</th><th class="l">Peer</th><th>Recv-Q</th><th>Send-Q</th>
    <th>sent</th><th>received</th><th>in B/s</th><th>out B/s</th><th>throughput</th>
    <th>cwnd</th><th>cwnd over time</th><th>srtt ms</th><th>RTT over time</th><th>rto ms</th><th>retrans</th><th class="l">cc</th>
  </tr></thead>
  <tbody></tbody>
</table>
<h2 style="font-size:15px">Counters</h2>
<div id="counters"></div>
<script>
"use strict";
const HISTORY = 120;
const history = new Map();     // "local remote" -> [{t, sent, recv, cwnd, rtt}]
const totals = [];             // [{t, sent, recv}]
let updates = 0;

function fmt(n) {
  if (n === null || n === undefined) return "-";
  if (Math.abs(n) >= 1e9) return (n / 1e9).toFixed(2) + "G";
  if (Math.abs(n) >= 1e6) return (n / 1e6).toFixed(2) + "M";
  if (Math.abs(n) >= 1e4) return (n / 1e3).toFixed(1) + "k";
  return String(Math.round(n * 10) / 10);
}

function rate(points, key) {
  if (points.length < 2) return 0;
  const a = points[points.length - 2], b = points[points.length - 1];
  const dt = (b.t - a.t) / 1000;
  return dt > 0 ? Math.max(0, (b[key] - a[key]) / dt) : 0;
}

function rates(points, key) {
  const out = [];
  for (let i = 1; i < points.length; i++) {
    const dt = (points[i].t - points[i - 1].t) / 1000;
    out.push(dt > 0 ? Math.max(0, (points[i][key] - points[i - 1][key]) / dt) : 0);
  }
  return out;
}

function spark(canvas, series, colors) {
  const g = canvas.getContext("2d"), w = canvas.width, h = canvas.height;
  g.clearRect(0, 0, w, h);
  g.fillStyle = "#f3f5f8"; g.fillRect(0, 0, w, h);
  let max = 0;
  for (const s of series) for (const v of s) if (v !== null && v > max) max = v;
  if (max <= 0) max = 1;
  series.forEach((s, k) => {
    g.strokeStyle = colors[k]; g.lineWidth = 1.5; g.beginPath();
    let started = false;
    s.forEach((v, i) => {
      if (v === null) return;
      const x = s.length <= 1 ? w - 1 : (i / (HISTORY - 1)) * (w - 1) + (w - 1) * (1 - (s.length - 1) / (HISTORY - 1));
      const y = h - 2 - (v / max) * (h - 4);
      if (started) g.lineTo(x, y); else { g.moveTo(x, y); started = true; }
    });
    g.stroke();
  });
  g.fillStyle = "#5b6570"; g.font = "9px sans-serif"; g.fillText(fmt(max), 2, 9);
}

function cell(row, text, cls) {
  const td = row.insertCell();
  td.textContent = text;
  if (cls) td.className = cls;
  return td;
}

function chartCell(row, w) {
  const c = document.createElement("canvas");
  c.width = w; c.height = 24;
  row.insertCell().appendChild(c);
  return c;
}

function render(report) {
  const now = Date.parse(report.time);
  document.getElementById("address").textContent = report.address;
  document.getElementById("nconn").textContent = report.connections.length;
  const seen = new Set();
  let sent = 0, recv = 0;
  for (const c of report.connections) {
    const key = c.local + " " + c.remote;
    seen.add(key);
    const h = history.get(key) || [];
    h.push({ t: now, sent: c.bytesSent, recv: c.bytesReceived, cwnd: c.cwnd, rtt: c.srttMs });
    while (h.length > HISTORY) h.shift();
    history.set(key, h);
    sent += c.bytesSent; recv += c.bytesReceived;
  }
  for (const key of [...history.keys()]) if (!seen.has(key)) history.delete(key);
  totals.push({ t: now, sent, recv });
  while (totals.length > HISTORY) totals.shift();
  // A connection that went away drops out of the sums: no negative rates.
  const rin = rate(totals, "recv"), rout = rate(totals, "sent");
  document.getElementById("rin").textContent = fmt(rin);
  document.getElementById("rout").textContent = fmt(rout);
  spark(document.getElementById("total"), [rates(totals, "recv"), rates(totals, "sent")], ["#1a73e8", "#e8710a"]);

  const body = document.querySelector("#connections tbody");
  body.replaceChildren();
  for (const c of report.connections) {
    const h = history.get(c.local + " " + c.remote);
    const row = body.insertRow();
    row.dataset.local = c.local; row.dataset.remote = c.remote; row.dataset.state = c.state;
    cell(row, c.state, "l st " + c.state);
    cell(row, c.local, "l");
    cell(row, c.remote, "l");
    cell(row, c.receiveQueue);
    cell(row, c.sendQueue);
    cell(row, fmt(c.bytesSent));
    cell(row, fmt(c.bytesReceived));
    cell(row, fmt(rate(h, "recv")));
    cell(row, fmt(rate(h, "sent")));
    spark(chartCell(row, 110), [rates(h, "recv"), rates(h, "sent")], ["#1a73e8", "#e8710a"]);
    cell(row, fmt(c.cwnd));
    spark(chartCell(row, 90), [h.map(p => p.cwnd)], ["#137333"]);
    cell(row, c.srttMs === null ? "-" : c.srttMs.toFixed(3));
    spark(chartCell(row, 90), [h.map(p => p.rtt)], ["#a142f4"]);
    cell(row, fmt(c.rtoMs));
    cell(row, c.retransmits);
    cell(row, c.congestionControl, "l");
  }

  const counters = document.getElementById("counters");
  counters.replaceChildren();
  for (const [name, value] of Object.entries(report.counters)) {
    const d = document.createElement("div");
    const n = document.createElement("span"); n.textContent = "Tcp" + name;
    const v = document.createElement("span"); v.textContent = value;
    d.append(n, v); counters.appendChild(d);
  }
  updates++;
  document.body.dataset.updates = updates;
}

async function poll() {
  try {
    const r = await fetch("/api/status", { cache: "no-store" });
    if (!r.ok) throw new Error("HTTP " + r.status);
    render(await r.json());
    document.getElementById("error").textContent = "";
  } catch (e) {
    document.getElementById("error").textContent = "update failed: " + e.message;
  }
  setTimeout(poll, 1000);
}
poll();
</script>
</body>
</html>
""";
}
