// /mcp: nightshift's MCP server over streamable HTTP (src/mcp/http.ts), token-authenticated like every
// door. GET answers 405 after authentication: the server is stateless and offers no event stream.
import { answerMcp, type McpHttpOptions } from '../mcp/http.js';
import type { Route } from './router.js';

export function mcpRoutes(o: McpHttpOptions): Route[] {
  const options: McpHttpOptions = {
    runtime: o.runtime,
    roles: o.roles,
    auth: o.auth,
    deliver: o.deliver,
    wake: o.wake,
  };
  const handle: Route['handle'] = (req, res) => answerMcp(options, req, res);
  return [
    { method: 'POST', path: /^\/mcp$/, handle },
    { method: 'GET', path: /^\/mcp$/, handle },
  ];
}
