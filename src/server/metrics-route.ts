// GET /metrics: the Prometheus text format (src/telemetry/metrics/). The same stance as the daemon's
// other endpoints: no authentication of its own; serve listens on 127.0.0.1 unless told otherwise, so
// exposing it (and the metrics) beyond the machine is a deliberate --host choice.
import type { ServeMetrics } from '../telemetry/metrics/index.js';
import type { Route } from './router.js';

export function metricsRoute(metrics: ServeMetrics): Route {
  return {
    method: 'GET',
    path: /^\/metrics$/,
    async handle(_req, res) {
      const { contentType, body } = await metrics.render();
      res.writeHead(200, { 'content-type': contentType });
      res.end(body);
    },
  };
}
