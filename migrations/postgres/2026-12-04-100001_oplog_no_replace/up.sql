-- PostgreSQL has no REPLACE; `INSERT … ON CONFLICT (id) DO UPDATE` runs the
-- UPDATE trigger, which refuses it. Kept for the same version on both trees.
SELECT 1;
