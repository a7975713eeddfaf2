# SPDX-License-Identifier: MIT
# A bash loop of 50 $(...) subshells (forked children that free blocks of their parent) and one
# fork+exec of seq.
rw_cmd=(bash -c 's=0; for i in $(seq 50); do x=$(echo $((i * i))); s=$((s + x)); done; echo "sum $s"')
rw_valgrind=yes
