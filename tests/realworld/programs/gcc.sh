# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2034,SC2154 # sourced by run-one.sh, which sets rw_data and reads rw_*
# gcc compiling and linking a file: the driver starts cc1, as, collect2 and ld (fork and exec,
# posix_spawn); the program it writes must be the same as natively.
rw_cmd=(gcc -O2 -Wall -o hello hello.c)
rw_setup() { cp "$rw_data/hello.c" .; }
rw_files=(hello)
rw_valgrind=yes
