// SPDX-License-Identifier: MIT
// The corpus's Node.js program: objects, JSON, a Map, strings, a zlib round trip (libuv's
// thread pool), a timer.
'use strict';
const zlib = require('zlib');

const items = [];
for (let i = 0; i < 20000; i++)
    items.push({ id: i, name: 'item-' + i, tags: [i % 7, i % 11] });
const text = JSON.stringify(items);
const back = JSON.parse(text);
const byTag = new Map();
for (const it of back)
    byTag.set(it.tags[0], (byTag.get(it.tags[0]) || 0) + 1);
console.log('json bytes', text.length, 'groups', [...byTag.entries()].sort((a, b) => a[0] - b[0]).join(' '));

zlib.gzip(text, (err, packed) => {
    if (err)
        throw err;
    zlib.gunzip(packed, (err2, plain) => {
        if (err2)
            throw err2;
        console.log('gzip round trip', plain.toString() === text ? 'ok' : 'BAD');
        setTimeout(() => console.log('done'), 10);
    });
});
