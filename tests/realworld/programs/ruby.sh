# SPDX-License-Identifier: MIT
# Ruby: its garbage-collected heap on malloc, its timer thread and four threads of its own.
rw_cmd=(ruby work.rb)
rw_setup() { cp "$rw_data/work.rb" .; }
rw_valgrind=yes
