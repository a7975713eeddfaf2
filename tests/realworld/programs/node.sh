# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2034,SC2154 # sourced by run-one.sh, which sets rw_data and reads rw_*
# Node.js: V8 (C++ operators new and delete), its platform threads and libuv's thread pool.
rw_cmd=(node work.js)
rw_setup() { cp "$rw_data/work.js" .; }
rw_valgrind=no # memcheck cannot run V8 in reasonable time
