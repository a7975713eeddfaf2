# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2034,SC2154 # sourced by run-one.sh, which sets rw_data and reads rw_*
# The corpus's own program (spawn-children.c): children started by posix_spawn and by
# vfork+execve, four rounds of each (issue 9: about one run in fifty lost a child's trace).
rw_cmd=(./rw-spawn 4)
rw_setup() { cp "$RW_SPAWN" ./rw-spawn; }
rw_valgrind=yes
