INSERT INTO services (name, team, tier) VALUES
  ('api', 'ops', 1),
  ('billing', 'payments', 1),
  ('dns', 'ops', 0),
  ('search', 'web', 2);
