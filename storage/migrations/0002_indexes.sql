-- Lookups that writes need without scanning the tenant's whole store (issue 19):
-- changes_by_resource: the latest change of one resource (caches of policies key on it) and a
--                      watch's replay of one resource without reading other resources' rows;
-- objects_by_uid:      the object with a given metadata.uid (the garbage collector's owner check);
-- owner_refs:          which objects name a uid in metadata.ownerReferences (the collector's
--                      dependents), kept by triggers so every write path maintains it.

CREATE INDEX changes_by_resource ON changes ("group", resource, rv);

CREATE INDEX objects_by_uid ON objects (json_extract(json, '$.metadata.uid'));

CREATE TABLE owner_refs (
  owner_uid TEXT NOT NULL,
  "group"   TEXT NOT NULL,
  resource  TEXT NOT NULL,
  namespace TEXT NOT NULL,
  name      TEXT NOT NULL,
  PRIMARY KEY (owner_uid, "group", resource, namespace, name)
) WITHOUT ROWID;

CREATE TRIGGER owner_refs_insert AFTER INSERT ON objects BEGIN
  INSERT OR IGNORE INTO owner_refs
    SELECT json_extract(value, '$.uid'), new."group", new.resource, new.namespace, new.name
    FROM json_each(new.json, '$.metadata.ownerReferences')
    WHERE json_type(new.json, '$.metadata.ownerReferences') = 'array'
      AND json_type(value, '$.uid') = 'text';
END;

CREATE TRIGGER owner_refs_update AFTER UPDATE OF json ON objects BEGIN
  DELETE FROM owner_refs
    WHERE "group" = old."group" AND resource = old.resource AND namespace = old.namespace
      AND name = old.name
      AND owner_uid IN (
        SELECT json_extract(value, '$.uid') FROM json_each(old.json, '$.metadata.ownerReferences')
        WHERE json_type(old.json, '$.metadata.ownerReferences') = 'array'
          AND json_type(value, '$.uid') = 'text');
  INSERT OR IGNORE INTO owner_refs
    SELECT json_extract(value, '$.uid'), new."group", new.resource, new.namespace, new.name
    FROM json_each(new.json, '$.metadata.ownerReferences')
    WHERE json_type(new.json, '$.metadata.ownerReferences') = 'array'
      AND json_type(value, '$.uid') = 'text';
END;

CREATE TRIGGER owner_refs_delete AFTER DELETE ON objects BEGIN
  DELETE FROM owner_refs
    WHERE "group" = old."group" AND resource = old.resource AND namespace = old.namespace
      AND name = old.name
      AND owner_uid IN (
        SELECT json_extract(value, '$.uid') FROM json_each(old.json, '$.metadata.ownerReferences')
        WHERE json_type(old.json, '$.metadata.ownerReferences') = 'array'
          AND json_type(value, '$.uid') = 'text');
END;

INSERT OR IGNORE INTO owner_refs
  SELECT json_extract(value, '$.uid'), o."group", o.resource, o.namespace, o.name
  FROM objects AS o, json_each(o.json, '$.metadata.ownerReferences')
  WHERE json_type(o.json, '$.metadata.ownerReferences') = 'array'
    AND json_type(value, '$.uid') = 'text';
