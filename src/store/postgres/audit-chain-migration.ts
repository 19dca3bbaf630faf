// Migration 9: the hash-chained audit log on Postgres (src/audit/chain.ts, docs/decisions/019-audit-chain.md).
// A BEFORE INSERT trigger chains every entry, whichever statement inserts it (the grouped commit, a lone
// commit, a run's creation), so no write path can forget to. There is one chain per run (run-less entries
// make one more, chain ''), its head in audit_heads: appends to one chain are ordered by its head row's
// lock, and appends to different runs never wait for each other. The entry's id is taken once that row
// is held, so within a chain id order is chain order. audit_entry_hash must encode exactly as
// entryHash() does. Entries written before this migration are the genesis: the DO block chains them
// in id order, once.
export const AUDIT_CHAIN_SQL = `
ALTER TABLE audit_events ADD COLUMN prev_hash TEXT, ADD COLUMN hash TEXT;
CREATE TABLE audit_heads (
  chain TEXT PRIMARY KEY,
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
  prev TEXT;
  h TEXT;
BEGIN
  FOR r IN SELECT id, at, actor, action, run_id, target, data::text AS data FROM audit_events ORDER BY id LOOP
    prev := COALESCE((SELECT hash FROM audit_heads WHERE chain = COALESCE(r.run_id, '')), repeat('0', 64));
    h := audit_entry_hash(prev, r.id, r.at, r.actor, r.action, r.run_id, r.target, r.data);
    UPDATE audit_events SET prev_hash = prev, hash = h WHERE id = r.id;
    INSERT INTO audit_heads (chain, last_id, hash) VALUES (COALESCE(r.run_id, ''), r.id, h)
      ON CONFLICT (chain) DO UPDATE SET last_id = excluded.last_id, hash = excluded.hash;
  END LOOP;
END
$f$;

CREATE FUNCTION audit_chain_append() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $f$
DECLARE
  k TEXT := COALESCE(NEW.run_id, '');
  prev TEXT;
BEGIN
  -- A run's first entry (the usual case: run.created) starts its chain with one insert.
  NEW.id := nextval('audit_events_id_seq');
  NEW.prev_hash := repeat('0', 64);
  NEW.hash := audit_entry_hash(NEW.prev_hash, NEW.id, NEW.at, NEW.actor, NEW.action, NEW.run_id, NEW.target, NEW.data::text);
  INSERT INTO audit_heads (chain, last_id, hash) VALUES (k, NEW.id, NEW.hash) ON CONFLICT (chain) DO NOTHING;
  IF FOUND THEN
    RETURN NEW;
  END IF;
  -- The chain exists: hold its head, then take the id (the one above may be older than the head's).
  SELECT hash INTO prev FROM audit_heads WHERE chain = k FOR UPDATE;
  NEW.id := nextval('audit_events_id_seq');
  NEW.prev_hash := prev;
  NEW.hash := audit_entry_hash(prev, NEW.id, NEW.at, NEW.actor, NEW.action, NEW.run_id, NEW.target, NEW.data::text);
  UPDATE audit_heads SET last_id = NEW.id, hash = NEW.hash WHERE chain = k;
  RETURN NEW;
END
$f$;
CREATE TRIGGER audit_chain_append BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION audit_chain_append();
`;

// Migration 11: the same chain, appended for less (docs/decisions/022-telemetry-cost.md). Migration 9's
// trigger hashed every entry through audit_entry_hash, a SQL function Postgres could not inline (its
// SET search_path made it a separate function call, planned again in every transaction), hashed an
// entry twice when its chain already existed, and took two or three ids from the sequence per entry
// (the column default's, then its own). This one takes the head row first (a primary-key probe):
// a chain that exists is locked, then the entry gets a fresh id and one hash; a chain that does not
// keeps the default's id (nothing of its chain can be older) and inserts its head, retrying as an
// append if another transaction inserted that head meanwhile. The hash is an inlinable SQL function
// (STABLE, built-ins only, no SET), so it is planned once per session with the trigger. The bytes
// hashed, the locking and the order of ids within a chain are those of migration 9.
export const AUDIT_APPEND_SQL = `
CREATE OR REPLACE FUNCTION audit_entry_hash(prev TEXT, id BIGINT, at BIGINT, actor TEXT, action TEXT,
  run_id TEXT, target TEXT, data TEXT) RETURNS TEXT LANGUAGE sql STABLE AS $f$
  SELECT encode(sha256(convert_to('nightshift-audit-v1' || chr(10) || prev
    || octet_length(convert_to(id::text, 'UTF8'))::text || ':' || id::text
    || octet_length(convert_to(at::text, 'UTF8'))::text || ':' || at::text
    || octet_length(convert_to(actor, 'UTF8'))::text || ':' || actor
    || octet_length(convert_to(action, 'UTF8'))::text || ':' || action
    || CASE WHEN run_id IS NULL THEN '-' ELSE octet_length(convert_to(run_id, 'UTF8'))::text || ':' || run_id END
    || CASE WHEN target IS NULL THEN '-' ELSE octet_length(convert_to(target, 'UTF8'))::text || ':' || target END
    || octet_length(convert_to(data, 'UTF8'))::text || ':' || data, 'UTF8')), 'hex')
$f$;

CREATE OR REPLACE FUNCTION audit_chain_append() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $f$
DECLARE
  k TEXT := COALESCE(NEW.run_id, '');
  prev TEXT;
BEGIN
  -- Twice at most: the second time the head row is there, unless something deletes head rows meanwhile.
  FOR attempt IN 1..2 LOOP
    SELECT hash INTO prev FROM audit_heads WHERE chain = k FOR UPDATE;
    IF FOUND THEN
      -- Held: every entry of this chain committed or to come is ordered behind this one.
      NEW.id := nextval('audit_events_id_seq');
      NEW.prev_hash := prev;
      NEW.hash := audit_entry_hash(prev, NEW.id, NEW.at, NEW.actor, NEW.action, NEW.run_id, NEW.target, NEW.data::text);
      UPDATE audit_heads SET last_id = NEW.id, hash = NEW.hash WHERE chain = k;
      RETURN NEW;
    END IF;
    -- The chain's first entry (a run's run.created): the id the column default took is kept.
    NEW.prev_hash := repeat('0', 64);
    NEW.hash := audit_entry_hash(NEW.prev_hash, NEW.id, NEW.at, NEW.actor, NEW.action, NEW.run_id, NEW.target, NEW.data::text);
    INSERT INTO audit_heads (chain, last_id, hash) VALUES (k, NEW.id, NEW.hash) ON CONFLICT (chain) DO NOTHING;
    IF FOUND THEN
      RETURN NEW;
    END IF;
    -- Another transaction began this chain first (it has committed: the insert waited for it); append.
  END LOOP;
  RAISE EXCEPTION 'audit chain %: its head row appeared and vanished while an entry was appended', k;
END
$f$;
`;
