# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2034,SC2154 # sourced by run-one.sh, which sets rw_data and reads rw_*
# SQLite's shell on a database file: inserts, an index, grouping and a join.
rw_cmd=(sqlite3 -batch test.db ".read work.sql")
rw_setup() { cp "$rw_data/work.sql" .; }
rw_valgrind=yes
