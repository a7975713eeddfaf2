# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2034,SC2154 # sourced by run-one.sh, which sets rw_data and reads rw_*
# Perl: hashes, regexes, sort, closures.
rw_cmd=(perl work.pl)
rw_setup() { cp "$rw_data/work.pl" .; }
rw_valgrind=yes
