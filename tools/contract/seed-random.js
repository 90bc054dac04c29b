// Loaded into Portman (node --require) by lib.js: openapi-to-postman fills
// request bodies with values json-schema-faker draws from Math.random (an enum
// member, a string matching a pattern). A fixed seed makes the generated
// docs/postman collection the same from one run to the next, so that make
// contract can tell a stale checked-in copy from a fresh one.
'use strict';

let state = 0x2545f491;
Math.random = function () {
  // mulberry32
  state = (state + 0x6d2b79f5) | 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
