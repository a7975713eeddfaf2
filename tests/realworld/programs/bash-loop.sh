# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2034,SC2154,SC2016 # sourced by run-one.sh, which sets rw_data, reads rw_*
# A bash loop of 50 $(...) subshells (forked children that free blocks of their parent) and one
# fork+exec of seq.
rw_cmd=(bash -c 's=0; for i in $(seq 50); do x=$(echo $((i * i))); s=$((s + x)); done; echo "sum $s"')
rw_valgrind=yes
