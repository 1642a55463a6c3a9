INSERT INTO t (fp, leaf) VALUES (gen_random_uuid()::text::bytea, repeat('x', 300));
