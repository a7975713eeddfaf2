-- SPDX-License-Identifier: MIT
-- The corpus's SQLite program: a table filled by a recursive CTE, an index, grouping, a join.
CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, grp INTEGER);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
INSERT INTO t SELECT i, 'name-' || i, i % 13 FROM n;
CREATE INDEX t_grp ON t(grp);
SELECT grp, count(*), min(name), max(id) FROM t GROUP BY grp ORDER BY grp;
CREATE TABLE g(grp INTEGER PRIMARY KEY, label TEXT);
INSERT INTO g SELECT DISTINCT grp, 'group ' || grp FROM t;
SELECT g.label, sum(t.id) FROM t JOIN g USING (grp) WHERE t.id % 7 = 0 GROUP BY g.label ORDER BY 1 LIMIT 5;
