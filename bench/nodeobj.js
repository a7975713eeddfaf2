// SPDX-License-Identifier: MIT
// Benchmark workload (n) of bench/analyze.sh: a Node.js program building 200 000 small objects,
// each with a string, an array and a 64-byte Buffer, then a JSON round trip of a quarter of them.
// Deterministic: the same calls on every run of one Node.js build.
'use strict';
const n = Number(process.argv[2] || 200000);
const objects = [];
for (let i = 0; i < n; i++)
    objects.push({key: 'key' + i, values: [i, i * 2], buffer: Buffer.alloc(64)});
const text = JSON.stringify(objects.slice(0, n / 4));
const back = JSON.parse(text);
if (back.length !== n / 4)
    throw new Error('round trip lost objects');
