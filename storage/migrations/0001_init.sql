-- The per-tenant virtual store: one database file per tenant.
-- objects: the current state of every virtual object, clustered by key so a list of one resource
--          (optionally one namespace) is a range scan in (namespace, name) order.
-- changes: the change log that watches replay; rv is the tenant's resourceVersion (dense: every
--          write appends exactly one row). Compaction deletes the oldest rows.
-- meta:    one row: the current resourceVersion (never decreases, even when objects and changes are
--          gone) and the highest compacted rv (watches must start at or after it).

CREATE TABLE objects (
  "group"   TEXT    NOT NULL,
  resource  TEXT    NOT NULL,
  namespace TEXT    NOT NULL,
  name      TEXT    NOT NULL,
  rv        INTEGER NOT NULL,
  json      TEXT    NOT NULL,
  PRIMARY KEY ("group", resource, namespace, name)
) WITHOUT ROWID;

CREATE TABLE changes (
  rv        INTEGER PRIMARY KEY,
  type      TEXT    NOT NULL CHECK (type IN ('ADDED', 'MODIFIED', 'DELETED')),
  "group"   TEXT    NOT NULL,
  resource  TEXT    NOT NULL,
  namespace TEXT    NOT NULL,
  name      TEXT    NOT NULL,
  json      TEXT    NOT NULL
);

CREATE TABLE meta (
  id           INTEGER PRIMARY KEY CHECK (id = 1),
  rv           INTEGER NOT NULL,
  compacted_rv INTEGER NOT NULL
);

INSERT INTO meta (id, rv, compacted_rv) VALUES (1, 0, 0);
