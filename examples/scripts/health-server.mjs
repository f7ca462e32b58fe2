// A tiny local service for examples/health-check.yaml: /health and /version as JSON.
import http from 'node:http';

const port = Number(process.argv[2] ?? 8787);
const server = http.createServer((req, res) => {
  const routes = { '/health': { status: 'ok' }, '/version': { version: '1.4.2' } };
  const body = routes[req.url ?? ''];
  res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body ?? { error: 'not found' }));
});
server.listen(port, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${server.address().port}`));
