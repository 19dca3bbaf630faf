// GET /metrics: the Prometheus text format (src/telemetry/metrics/), for a token with `runs:read` (the
// figures name roles and tools). Prometheus sends one with `authorization: {credentials_file: …}` in its
// scrape config (docs/security-access.md, decision 030).
import type { Authenticator } from '../auth/index.js';
import type { ServeMetrics } from '../telemetry/metrics/index.js';
import type { Route } from './router.js';

export function metricsRoute(metrics: ServeMetrics, auth: Authenticator): Route {
  return {
    method: 'GET',
    path: /^\/metrics$/,
    async handle(req, res) {
      await auth.authenticate(req, { scope: 'runs:read' });
      const { contentType, body } = await metrics.render();
      res.writeHead(200, { 'content-type': contentType });
      res.end(body);
    },
  };
}
