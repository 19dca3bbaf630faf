// Telemetry remembers a little per run or per call (a run's role, a tool call's start) to enrich what it
// reports later; a long-lived process must not grow without end, so past `max` entries the oldest goes.
// Maps iterate in insertion order, so the first key is the oldest.

/** Sets `key` in `map`, first forgetting the oldest entry when a new key would take it past `max`. */
export function boundedSet<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  if (!map.has(key) && map.size >= max) map.delete(map.keys().next().value as K);
  map.set(key, value);
}
