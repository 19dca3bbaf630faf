// The secret values of the roles `serve` runs, for its log to scrub: each role's declared secrets and the
// variables it passes its MCP servers (mcp[].env), and those of its specialists, at any depth (a delegated run logs through the same logger).
import type { Role } from '../roles/schema.js';
import { loadSecrets, scrubbedValues } from '../tools/secrets.js';

/** Every secret value of these roles and their specialists. A secrets file that cannot be read is skipped: loading the role says why. */
export function roleSecretValues(roles: readonly Role[], env: NodeJS.ProcessEnv): string[] {
  const values: string[] = [];
  const seen = new Set<Role>();
  const visit = (role: Role) => {
    if (seen.has(role)) return;
    seen.add(role);
    // Declared secrets and what the role hands its MCP servers (the secrets file's value first, as the
    // servers get it), scrubbed as the store scrubs them (tools/secrets.ts).
    try {
      values.push(...scrubbedValues(loadSecrets(role, env)));
    } catch {}
    for (const server of role.mcp) for (const name of server.env) values.push(env[name] ?? '');
    for (const specialist of role.specialists ?? []) visit(specialist);
  };
  for (const role of roles) visit(role);
  return values;
}
