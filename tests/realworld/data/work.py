# SPDX-License-Identifier: MIT
# The corpus's CPython program: dicts, lists, strings, re, json, a class, a generator, sorting.
import collections
import json
import re

words = re.findall(r"[a-z]+", ("the quick brown fox jumps over the lazy dog " * 200).lower())
freq = collections.Counter(words)
print(sorted(freq.items()))


class Node:
    def __init__(self, key, children):
        self.key = key
        self.children = children


def build(depth, key=0):
    return Node(key, [build(depth - 1, key * 3 + i) for i in range(3)] if depth else [])


def walk(n):
    yield n.key
    for c in n.children:
        yield from walk(c)


tree = build(7)
print("tree keys:", sum(walk(tree)))
data = {str(i): [i, i * i, "x" * (i % 17)] for i in range(5000)}
text = json.dumps(data, sort_keys=True)
print("json:", len(text), len(json.loads(text)))
