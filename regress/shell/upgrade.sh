#!/usr/bin/env bash
# ALTER EXTENSION pg_duckam UPDATE from the previous release (0.1.0, its
# install script frozen in sql/) to this one, with duckdb tables and data
# in place: the data stays readable and writable, and the upgraded
# database has exactly the objects (definitions, owners' grants and
# comments included) of a fresh install, so a release whose SQL changed
# without an upgrade script fails here.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
previous=0.1.0
current=$(sed -n "s/^default_version = '\(.*\)'/\1/p" "$("$PG_CONFIG" --sharedir)/extension/pg_duckam.control")
"$PGBIN/dropdb" --if-exists duckam_upgrade; "$PGBIN/createdb" duckam_upgrade
"$PGBIN/dropdb" --if-exists duckam_fresh; "$PGBIN/createdb" duckam_fresh
val duckam_upgrade "CREATE EXTENSION pg_duckam VERSION '$previous'" >/dev/null
expect "installed at the previous release" "$(val duckam_upgrade "SELECT extversion FROM pg_extension WHERE extname = 'pg_duckam'")" "$previous"
val duckam_upgrade "CREATE TABLE up (id int, v text, n numeric(10,2)) USING duckdb"
val duckam_upgrade "INSERT INTO up SELECT g, 'v' || g, g / 4.0 FROM generate_series(1, 10000) g"
val duckam_upgrade "ALTER EXTENSION pg_duckam UPDATE"
expect "updated to this release" "$(val duckam_upgrade "SELECT extversion FROM pg_extension WHERE extname = 'pg_duckam'")" "$current"
expect "the data, read in DuckDB" "$(val duckam_upgrade "SELECT count(*), sum(n) FROM up")" "10000|12501250.00"
val duckam_upgrade "INSERT INTO up VALUES (0, 'after the update', 0)"
val duckam_upgrade "UPDATE up SET v = 'updated' WHERE id = 1"
expect "and written" "$(val duckam_upgrade "SELECT count(*) FILTER (WHERE id = 0), min(v) FILTER (WHERE id = 1) FROM up")" "1|updated"
val duckam_fresh "CREATE EXTENSION pg_duckam" >/dev/null
# every member object of the extension, with its definition, ACL and comment
members="SELECT pg_describe_object(classid, objid, 0) AS object,
       CASE classid WHEN 'pg_proc'::regclass THEN pg_get_functiondef(objid)
                    WHEN 'pg_class'::regclass THEN coalesce(pg_get_viewdef(objid), '')
                         || (SELECT coalesce(relacl::text, '') FROM pg_class WHERE oid = objid) END AS definition,
       (SELECT proacl::text FROM pg_proc WHERE oid = objid AND classid = 'pg_proc'::regclass) AS acl,
       obj_description(objid, classid::regclass::name) AS comment
FROM pg_depend WHERE refclassid = 'pg_extension'::regclass
  AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'pg_duckam') AND deptype = 'e'
ORDER BY 1"
upgraded=$(val duckam_upgrade "$members")
fresh=$(val duckam_fresh "$members")
expect "a fresh install's members include the access method and the engine view" \
    "$(echo "$fresh" | grep -cE '^(access method duckdb|view duckam.engine_sessions)\|')" "2"
if [ "$upgraded" != "$fresh" ]; then
    diff <(echo "$fresh") <(echo "$upgraded") | head -40
    fail "the upgraded extension's objects differ from a fresh install's"
fi
echo "ok: the upgraded extension has exactly a fresh install's objects"
