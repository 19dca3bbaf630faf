// /mcp: nightshift's MCP server over streamable HTTP (src/mcp/http.ts), token-authenticated like every
// door. Any other method than POST (GET, DELETE) answers 405 after authentication: the server is stateless
// and offers neither an event stream nor a session to end.
import { answerMcp, type McpHttpOptions } from '../mcp/http.js';
import type { Route } from './router.js';

export function mcpRoutes(o: McpHttpOptions): Route[] {
  const options: McpHttpOptions = {
    runtime: o.runtime,
    roles: o.roles,
    auth: o.auth,
    deliver: o.deliver,
    wake: o.wake,
    log: o.log,
  };
  const handle: Route['handle'] = (req, res) => answerMcp(options, req, res);
  // Every method: a GET or DELETE is authenticated like a POST, then answered 405 (answerMcp).
  return [{ method: '*', path: /^\/mcp$/, handle }];
}
