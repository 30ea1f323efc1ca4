DROP TABLE stats_changes;
