-- objects keeps big JSON out of the way of scans and lookups:
-- * a rowid table with its key in a unique index. Clustered by key WITHOUT ROWID, a row was stored
--   whole in the key's b-tree, so stepping over keys (a page's remaining count, a continue
--   position) read every object's full JSON: counting 31 custom resources of 2.9 MB took 20-60 ms
--   per page of a streamed LIST, on the event loop every tenant shares; in the index, 0.01 ms.
-- * uid and owners (the ownerReferences' uids as a JSON array, NULL without any) are columns the
--   store fills, so the uid index and the owner_refs triggers no longer parse the whole JSON of
--   every write (three to four parses: 90 ms for one 2.9 MB insert, measured).

CREATE TABLE objects_by_rowid (
  "group"   TEXT    NOT NULL,
  resource  TEXT    NOT NULL,
  namespace TEXT    NOT NULL,
  name      TEXT    NOT NULL,
  rv        INTEGER NOT NULL,
  uid       TEXT,
  owners    TEXT,
  json      TEXT    NOT NULL
);

INSERT INTO objects_by_rowid ("group", resource, namespace, name, rv, uid, owners, json)
  SELECT o."group", o.resource, o.namespace, o.name, o.rv, json_extract(o.json, '$.metadata.uid'),
    (SELECT json_group_array(json_extract(value, '$.uid')) FROM json_each(o.json, '$.metadata.ownerReferences')
       WHERE json_type(o.json, '$.metadata.ownerReferences') = 'array' AND json_type(value, '$.uid') = 'text'
       HAVING count(*) > 0),
    o.json
  FROM objects AS o ORDER BY o."group", o.resource, o.namespace, o.name;

-- Dropping the table drops its indexes and the owner_refs triggers; they are made again below.
DROP TABLE objects;
ALTER TABLE objects_by_rowid RENAME TO objects;

CREATE UNIQUE INDEX objects_by_key ON objects ("group", resource, namespace, name);
CREATE INDEX objects_by_uid ON objects (uid);

CREATE TRIGGER owner_refs_insert AFTER INSERT ON objects WHEN new.owners IS NOT NULL BEGIN
  INSERT OR IGNORE INTO owner_refs
    SELECT value, new."group", new.resource, new.namespace, new.name FROM json_each(new.owners);
END;

CREATE TRIGGER owner_refs_update AFTER UPDATE OF owners ON objects
  WHEN old.owners IS NOT new.owners BEGIN
  DELETE FROM owner_refs
    WHERE "group" = old."group" AND resource = old.resource AND namespace = old.namespace
      AND name = old.name AND owner_uid IN (SELECT value FROM json_each(coalesce(old.owners, '[]')));
  INSERT OR IGNORE INTO owner_refs
    SELECT value, new."group", new.resource, new.namespace, new.name FROM json_each(coalesce(new.owners, '[]'));
END;

CREATE TRIGGER owner_refs_delete AFTER DELETE ON objects WHEN old.owners IS NOT NULL BEGIN
  DELETE FROM owner_refs
    WHERE "group" = old."group" AND resource = old.resource AND namespace = old.namespace
      AND name = old.name AND owner_uid IN (SELECT value FROM json_each(old.owners));
END;
