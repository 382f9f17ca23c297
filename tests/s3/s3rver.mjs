#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
//
// Test launcher for s3rver (npm, devDependency): an S3-compatible server on
// loopback with its own directory and one bucket.
//
//   NODE_OPTIONS=--openssl-legacy-provider \
//     node tests/s3/s3rver.mjs --port P --dir D --bucket images
//
// Adds the key pair access/secret besides s3rver's fixed S3RVER/S3RVER
// (docs: ../shared/reference/test-peers.md §2, gotcha 2). Without the legacy
// OpenSSL provider a ListObjectsV2 page cut short fails with 500 (gotcha 1),
// so this script refuses to start without it. Prints "s3rver listening on
// 127.0.0.1:P" once it accepts; stops on SIGTERM/SIGINT. s3rver itself does
// not check SigV4 signatures: tests put tests/s3/sigv4_proxy.py in front.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  if (i >= 0 && i + 1 < process.argv.length) return process.argv[i + 1];
  if (fallback === undefined) {
    console.error(`s3rver.mjs: --${name} is required`);
    process.exit(2);
  }
  return fallback;
}

const legacy = (process.env.NODE_OPTIONS || '').includes('--openssl-legacy-provider') ||
    process.execArgv.includes('--openssl-legacy-provider');
if (!legacy) {
  console.error('s3rver.mjs: run with NODE_OPTIONS=--openssl-legacy-provider ' +
                '(continuation tokens use DES)');
  process.exit(2);
}

const port = Number(arg('port'));
const directory = arg('dir');
const buckets = arg('bucket', 'images').split(',').filter(Boolean);

const account = require('s3rver/lib/models/account');
account.DUMMY_ACCOUNT.createKeyPair('access', 'secret');
const S3rver = require('s3rver');
const server = new S3rver({
  address: '127.0.0.1',
  port,
  directory,
  silent: true,
  vhostBuckets: false,
  configureBuckets: buckets.map((name) => ({ name })),
});

const { address, port: bound } = await server.run();
console.log(`s3rver listening on ${address}:${bound}`);

async function stop() {
  try {
    await server.close();
  } finally {
    process.exit(0);
  }
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
