-- The services and who runs them. Portable SQL: the same file works on SQLite, PostgreSQL and MariaDB.
CREATE TABLE services (
  name VARCHAR(100) NOT NULL PRIMARY KEY,
  team VARCHAR(50) NOT NULL,
  tier INT NOT NULL
);
