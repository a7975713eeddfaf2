# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2034,SC2154 # sourced by run-one.sh, which sets rw_data and reads rw_*
# CPython (Debian's, not one on PATH that could be another build): its object allocator on top
# of malloc, re, json, a generator.
rw_cmd=(/usr/bin/python3 -B work.py)
rw_setup() { cp "$rw_data/work.py" .; }
rw_valgrind=yes
