DROP TABLE carried_items;
