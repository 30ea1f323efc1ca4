DROP TABLE answers;
DROP TABLE fiscal_rounds;
DROP TABLE organisations;
DROP TABLE checklist_items;
DROP TABLE checklist_versions;
