# SPDX-License-Identifier: MIT
# Node.js: V8 (C++ operators new and delete), its platform threads and libuv's thread pool.
rw_cmd=(node work.js)
rw_setup() { cp "$rw_data/work.js" .; }
rw_valgrind=no # memcheck cannot run V8 in reasonable time
