-- Generation counters for the statistics cache. Every write of answers bumps
-- the row of its fiscal year in the same transaction (store::answers); row 0
-- is bumped when organisations are added or renamed. An instance keeps its
-- computed tables only while the generations it read them at are unchanged,
-- so several instances behind one database never serve stale figures.
CREATE TABLE stats_generations (
    fiscal_year INTEGER PRIMARY KEY,
    generation BIGINT NOT NULL CHECK (generation > 0)
);
