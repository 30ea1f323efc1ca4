ALTER TABLE fiscal_rounds DROP COLUMN accept_late;
