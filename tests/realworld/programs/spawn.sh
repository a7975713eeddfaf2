# SPDX-License-Identifier: MIT
# The corpus's own program (spawn-children.c): children started by posix_spawn and by
# vfork+execve, four rounds of each (issue 9: about one run in fifty lost a child's trace).
rw_cmd=(./rw-spawn 4)
rw_setup() { cp "$RW_SPAWN" ./rw-spawn; }
rw_valgrind=yes
