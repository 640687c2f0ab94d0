-- The content items this plugin saw created.
CREATE TABLE hello_zig_seen (id TEXT PRIMARY KEY);
