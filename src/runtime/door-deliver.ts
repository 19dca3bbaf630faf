// How serve's own doors (webhooks, cron ticks, MCP `runs.start`) deliver to a role. The key they give is
// one nightshift composes (`webhook:<path>:<delivery>`, `cron:<role>:<tick>`, `mcp:<caller>:<role>:<key>`)
// from parts checked at the door (a signed delivery, a tick, an MCP key already held to the key rule),
// so it is not held to the caller's key rule that `runtime.deliver` applies: a composed key may be
// longer than 200 characters (an MCP client's 200-character key plus its namespace), and refusing it
// would refuse a key the door accepted.
import type { Role } from '../roles/schema.js';
import type { DeliverOptions, Delivery, Runtime } from './types.js';

export type DeliverFn = (role: Role, payload: unknown, options: DeliverOptions) => Promise<Delivery>;

const doors = new WeakMap<Runtime, DeliverFn>();

/** Called by createRuntime for the runtime it returns. */
export function registerDoorDeliver(runtime: Runtime, deliver: DeliverFn): void {
  doors.set(runtime, deliver);
}

/** The door delivery of a runtime createRuntime made; for any other (a test's stand-in), its `deliver`. */
export function doorDeliver(runtime: Runtime): DeliverFn {
  return doors.get(runtime) ?? ((role, payload, options) => runtime.deliver(role, payload, options));
}
