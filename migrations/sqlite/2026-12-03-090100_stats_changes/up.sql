-- Every write of answers or sheets appends a row here, in the writer's
-- transaction: which fiscal year and, when it is one, which organisation
-- changed (NULL: the whole year, as a bulk load; year 0: the roster).
-- Instances read the rows after the last id they applied and refresh only
-- what changed. Nothing updates a shared row, so writers never queue on
-- one (the old per-year counter in stats_generations is no longer bumped;
-- its rows now only list the years that have been written).
CREATE TABLE stats_changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    fiscal_year INTEGER NOT NULL,
    organisation_id INTEGER,
    at TEXT NOT NULL
);
