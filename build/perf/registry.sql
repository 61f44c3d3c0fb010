-- A generated container registry for build/measure-cleanup: per repository, 40 platform manifests by digest
-- (30 referenced by 10 tag indexes of 3 platforms each, 10 dangling and 5 days old) and the reference
-- properties a registry writes; compact metadata, no files or blobs.
-- :npkg image repositories, set with psql -v npkg=N
BEGIN;
INSERT INTO package (owner_id, type, name, lower_name)
SELECT 1, 'container', 'img' || g, 'img' || g FROM generate_series(1, :npkg) g;
INSERT INTO package_version (package_id, version, lower_version, created_unix, metadata_json)
SELECT p.id, 'sha256:' || encode(sha256((p.id || '-' || d)::bytea), 'hex'), 'sha256:' || encode(sha256((p.id || '-' || d)::bytea), 'hex'),
       extract(epoch from now())::bigint - 5*86400, '{"type":"oci","is_tagged":false,"platform":"linux/amd64","labels":{"a":"b"},"layer_creation":["RUN a","RUN b","RUN c","RUN d","RUN e"]}'
FROM package p, generate_series(1, 40) d;
INSERT INTO package_version (package_id, version, lower_version, created_unix, metadata_json)
SELECT p.id, 'v' || t, 'v' || t, extract(epoch from now())::bigint - 4*86400,
  '{"type":"oci","is_tagged":true,"manifests":[' ||
  '{"platform":"linux/amd64","digest":"sha256:' || encode(sha256((p.id || '-' || (t*3-2))::bytea), 'hex') || '","size":1},' ||
  '{"platform":"linux/arm64","digest":"sha256:' || encode(sha256((p.id || '-' || (t*3-1))::bytea), 'hex') || '","size":1},' ||
  '{"platform":"linux/s390x","digest":"sha256:' || encode(sha256((p.id || '-' || (t*3))::bytea), 'hex') || '","size":1}]}'
FROM package p, generate_series(1, 10) t;
INSERT INTO package_property (ref_type, ref_id, name, value)
SELECT 0, v.id, 'container.manifest.reference', m->>'digest'
FROM package_version v, jsonb_array_elements((v.metadata_json::jsonb)->'manifests') m WHERE v.lower_version LIKE 'v%';
COMMIT;
ANALYZE;
