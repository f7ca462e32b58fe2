// A tiny local service for examples/health-check.yaml (/health and /version as JSON) and
// examples/release.yaml (a webhook at POST /hooks/...).
import http from 'node:http';

const port = Number(process.argv[2] ?? 8787);
const server = http.createServer((req, res) => {
  // A webhook receiver for examples/release.yaml's notify task: prints what it gets.
  if (req.method === 'POST' && req.url?.startsWith('/hooks/')) {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      console.log(`${req.url} (${req.headers['x-baton-delivery']}): ${body}`);
      res.writeHead(204).end();
    });
    return;
  }
  const routes = { '/health': { status: 'ok' }, '/version': { version: '1.4.2' } };
  const body = routes[req.url ?? ''];
  res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body ?? { error: 'not found' }));
});
server.listen(port, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${server.address().port}`));
