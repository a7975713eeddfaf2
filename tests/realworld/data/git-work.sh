#!/bin/sh
# SPDX-License-Identifier: MIT
# The corpus's git session: init, add, two commits, log, show, status, a branch and a diff, in the
# current directory. Dates and names come from the environment (programs/git.sh): same output
# every run.
set -e
git init -q -b main repo
cd repo
printf 'line %s\n' 1 2 3 4 5 >a.txt
printf 'other\n' >b.txt
git add a.txt b.txt
git commit -q -m "first commit"
printf 'line %s\n' 1 2 three 4 5 6 >a.txt
git commit -q -a -m "second commit"
git log --stat --format='%H %an <%ae> %ad%n%s'
git show --format=%s HEAD~1 -- b.txt
git branch topic HEAD~1
git diff --stat topic main
git status --short --branch
