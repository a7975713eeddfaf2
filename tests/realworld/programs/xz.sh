# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2034,SC2154 # sourced by run-one.sh, which sets rw_data and reads rw_*
# xz with two compression threads on a generated file of 2.4 MB (four blocks): the compressed
# bytes on stdout must be the same as natively.
rw_cmd=(xz -T2 --block-size=600KiB -3 -c input)
rw_setup() { seq 1 300000 | awk '{ print $1, ($1 * $1) % 9973, "heaprr" }' >input; }
rw_valgrind=yes
