/**
 * The status page at `/`: one HTML page, its CSS and script inline and nothing fetched from elsewhere, that reads
 * `/v1/status` every few seconds and shows each model, version and task with its health, latency and drift.
 */
export const statusPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>mtl serve</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; }
  h1 { font-size: 1.3em; margin: 0 0 .3em; }
  h2 { font-size: 1.1em; margin: 1.5em 0 .3em; }
  .meta { color: #666; }
  table { border-collapse: collapse; margin-top: .4em; }
  th, td { border-bottom: 1px solid #ddd; padding: .3em .8em; text-align: left; vertical-align: top; }
  td.num { text-align: right; font-variant-numeric: tabular-nums; }
  .ok { color: #1a7f37; font-weight: 600; }
  .bad { color: #b42318; font-weight: 600; }
  .active { background: #f3f7ff; }
  .why { color: #b42318; font-size: .9em; }
</style>
</head>
<body>
<h1>mtl serve</h1>
<div class="meta" id="meta">loading…</div>
<div id="models"></div>
<script>
const text = (value) => document.createTextNode(value === null || value === undefined ? '–' : String(value));
function cell(row, value, className) {
  const td = document.createElement('td');
  if (className) td.className = className;
  td.appendChild(value instanceof Node ? value : text(value));
  row.appendChild(td);
}
const ms = (v) => (v === null ? null : v.toFixed(1) + ' ms');
function render(status) {
  const cache = status.cache ? 'feature cache: ' + status.cache.entries + ' rows, ' + (status.cache.bytes / 1024).toFixed(0) + ' KB, hit ratio ' + (100 * status.cache.hitRatio).toFixed(1) + '%' : 'feature cache off';
  document.getElementById('meta').textContent = 'up ' + status.uptimeSeconds + ' s · batch window ' + status.settings.batchWindowMs + ' ms · ' + cache;
  const root = document.getElementById('models');
  root.replaceChildren();
  for (const model of status.models) {
    const h = document.createElement('h2');
    h.textContent = model.name;
    root.appendChild(h);
    const table = document.createElement('table');
    const head = table.insertRow();
    for (const title of ['version', 'task', 'health', 'requests', 'errors (4xx / 5xx)', 'p50', 'p99', 'drift (PSI)']) {
      const th = document.createElement('th');
      th.textContent = title;
      head.appendChild(th);
    }
    for (const version of model.versions) {
      for (const task of version.tasks) {
        const row = table.insertRow();
        if (version.active) row.className = 'active';
        cell(row, version.id + (version.active ? ' (active)' : ''));
        cell(row, task.name + ' (' + task.head + ')');
        const health = document.createElement('span');
        health.className = task.healthy ? 'ok' : 'bad';
        health.textContent = task.healthy ? 'healthy' : 'unhealthy';
        const box = document.createElement('div');
        box.appendChild(health);
        for (const reason of task.reasons) {
          const why = document.createElement('div');
          why.className = 'why';
          why.textContent = reason;
          box.appendChild(why);
        }
        cell(row, box);
        cell(row, task.requests, 'num');
        cell(row, task.errors.bad_request + ' / ' + task.errors.internal, 'num');
        cell(row, ms(task.latencyMs.p50), 'num');
        cell(row, ms(task.latencyMs.p99), 'num');
        const scores = Object.values(task.drift).filter((s) => s !== null);
        cell(row, scores.length ? Math.max(...scores).toFixed(3) : 'not yet', 'num');
      }
    }
    root.appendChild(table);
  }
}
async function refresh() {
  try {
    const response = await fetch('/v1/status');
    render(await response.json());
  } catch (error) {
    document.getElementById('meta').textContent = 'the server did not answer: ' + error.message;
  }
}
refresh();
setInterval(refresh, 3000);
</script>
</body>
</html>
`;
