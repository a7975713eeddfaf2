# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2034,SC2154 # sourced by run-one.sh, which sets rw_data and reads rw_*
# Ruby: its garbage-collected heap on malloc, its timer thread and four threads of its own.
rw_cmd=(ruby work.rb)
rw_setup() { cp "$rw_data/work.rb" .; }
rw_valgrind=yes
