# SPDX-License-Identifier: MIT
# CPython (Debian's, not one on PATH that could be another build): its object allocator on top
# of malloc, re, json, a generator.
rw_cmd=(/usr/bin/python3 -B work.py)
rw_setup() { cp "$rw_data/work.py" .; }
rw_valgrind=yes
