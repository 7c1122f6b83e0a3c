-- The SHA-256 of each object's DER, written with it, so that a manifest
-- (RFC 9286 §4.2.1 fileList) and a publication can be built without
-- reading every object's DER from the database. NULL for rows written
-- before this migration: Open fills them in.
ALTER TABLE objects ADD COLUMN hash BLOB;
