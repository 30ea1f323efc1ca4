-- Whether a round accepts submissions after its deadline (the ministry
-- decides per round; until now every open round accepted them).
ALTER TABLE fiscal_rounds ADD COLUMN accept_late BOOLEAN NOT NULL DEFAULT TRUE;
