-- The content items this plugin saw created.
CREATE TABLE hello_go_seen (id TEXT PRIMARY KEY);
