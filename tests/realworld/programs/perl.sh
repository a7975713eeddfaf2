# SPDX-License-Identifier: MIT
# Perl: hashes, regexes, sort, closures.
rw_cmd=(perl work.pl)
rw_setup() { cp "$rw_data/work.pl" .; }
rw_valgrind=yes
