# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2034,SC2154 # sourced by run-one.sh, which sets rw_data and reads rw_*
# git: init, add, commit, log, show, branch, diff, status (data/git-work.sh), under sh: every git
# is a child, and git starts children of its own. Fixed names and dates: the same output every run.
rw_cmd=(sh ./git-work.sh)
rw_setup() { cp "$rw_data/git-work.sh" .; }
rw_env=(GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
        GIT_AUTHOR_NAME=Heaprr GIT_AUTHOR_EMAIL=heaprr@example.org GIT_AUTHOR_DATE='2024-01-02T03:04:05Z'
        GIT_COMMITTER_NAME=Heaprr GIT_COMMITTER_EMAIL=heaprr@example.org GIT_COMMITTER_DATE='2024-01-02T03:04:05Z')
rw_valgrind=yes
