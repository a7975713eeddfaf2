# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2034,SC2154 # sourced by run-one.sh, which sets rw_data and reads rw_*
# gdb -batch reading the debug information of the corpus's own program (gdb is C++, with a Python
# inside): it calls setenv twice at start-up (issue 9: a false invalid-free from replay followed).
rw_cmd=(gdb -batch -nx -ex 'print 6 * 7' -ex 'info line main' -ex 'ptype churn' -ex 'list child'
        -ex 'python print(sum(range(10)))' ./rw-spawn)
rw_setup() { cp "$RW_SPAWN" ./rw-spawn; }
rw_valgrind=no # memcheck runs gdb, slowly: the other programs cover it
