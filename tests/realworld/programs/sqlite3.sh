# SPDX-License-Identifier: MIT
# SQLite's shell on a database file: inserts, an index, grouping and a join.
rw_cmd=(sqlite3 -batch test.db ".read work.sql")
rw_setup() { cp "$rw_data/work.sql" .; }
rw_valgrind=yes
