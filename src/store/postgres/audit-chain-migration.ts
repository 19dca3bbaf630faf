// Migration 9: the hash-chained audit log on Postgres (src/audit/chain.ts, docs/decisions/019-audit-chain.md).
// A BEFORE INSERT trigger chains every entry, whichever statement inserts it (the grouped commit, a lone
// commit, a run's creation), so no write path can forget to. It takes the chain's head row FOR UPDATE,
// then the entry's id: appends are ordered by that one row lock, so id order is chain order even with
// several workers committing at once, and the lock is held only from the insert to the commit (the
// commit paths insert audit entries last). audit_entry_hash must encode exactly as entryHash() does.
// Entries written before this migration are the genesis: the DO block hashes them in id order, once.
export const AUDIT_CHAIN_SQL = `
ALTER TABLE audit_events ADD COLUMN prev_hash TEXT, ADD COLUMN hash TEXT;
CREATE TABLE audit_chain (
  one INTEGER PRIMARY KEY CHECK (one = 1),
  last_id BIGINT NOT NULL,
  hash TEXT NOT NULL
);

CREATE FUNCTION audit_field(v TEXT) RETURNS TEXT LANGUAGE sql IMMUTABLE AS $f$
  SELECT CASE WHEN v IS NULL THEN '-' ELSE octet_length(convert_to(v, 'UTF8'))::text || ':' || v END
$f$;

CREATE FUNCTION audit_entry_hash(prev TEXT, id BIGINT, at BIGINT, actor TEXT, action TEXT, run_id TEXT,
  target TEXT, data TEXT) RETURNS TEXT LANGUAGE sql IMMUTABLE SET search_path FROM CURRENT AS $f$
  SELECT encode(sha256(convert_to('nightshift-audit-v1' || chr(10) || prev || audit_field(id::text)
    || audit_field(at::text) || audit_field(actor) || audit_field(action) || audit_field(run_id)
    || audit_field(target) || audit_field(data), 'UTF8')), 'hex')
$f$;

DO $f$
DECLARE
  r RECORD;
  prev TEXT := repeat('0', 64);
  last BIGINT := 0;
BEGIN
  FOR r IN SELECT id, at, actor, action, run_id, target, data::text AS data FROM audit_events ORDER BY id LOOP
    UPDATE audit_events SET prev_hash = prev,
      hash = audit_entry_hash(prev, r.id, r.at, r.actor, r.action, r.run_id, r.target, r.data)
      WHERE id = r.id RETURNING hash INTO prev;
    last := r.id;
  END LOOP;
  INSERT INTO audit_chain (one, last_id, hash) VALUES (1, last, prev);
END
$f$;

CREATE FUNCTION audit_chain_append() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $f$
DECLARE
  prev TEXT;
BEGIN
  SELECT hash INTO prev FROM audit_chain WHERE one = 1 FOR UPDATE;
  -- The id is taken under the lock (the column default ran before it): chain order is id order.
  NEW.id := nextval('audit_events_id_seq');
  NEW.prev_hash := prev;
  NEW.hash := audit_entry_hash(prev, NEW.id, NEW.at, NEW.actor, NEW.action, NEW.run_id, NEW.target, NEW.data::text);
  UPDATE audit_chain SET last_id = NEW.id, hash = NEW.hash WHERE one = 1;
  RETURN NEW;
END
$f$;
CREATE TRIGGER audit_chain_append BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION audit_chain_append();
`;
