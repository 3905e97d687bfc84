-- A key's last change at or before a snapshot, found by index: a list page read at a past
-- snapshot rebuilds only the keys changed since, not the resource's whole retained log.
CREATE INDEX changes_by_key ON changes ("group", resource, namespace, name, rv);
