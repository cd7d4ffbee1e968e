#!/usr/bin/env node
// The `eggsec` launcher: finds the binary of this platform's optional dependency
// (@eggsec/cli-<os>-<cpu>[-<libc>]) and runs it with the same arguments, stdio and exit code.
'use strict';

const { spawnSync } = require('child_process');
const path = require('path');
const fs = require('fs');

function isMusl() {
  if (process.platform !== 'linux') return false;
  try {
    const report = process.report && process.report.getReport();
    const header = report && (typeof report === 'string' ? JSON.parse(report) : report).header;
    if (header && header.glibcVersionRuntime) return false;
    if (header) return true;
  } catch (_) {
    // fall through to the loader check
  }
  try {
    return fs.readdirSync('/lib').some((f) => f.startsWith('ld-musl-'));
  } catch (_) {
    return false;
  }
}

function packageName() {
  const { platform, arch } = process;
  if (platform === 'linux') return `@eggsec/cli-linux-${arch}-${isMusl() ? 'musl' : 'gnu'}`;
  if (platform === 'win32') return `@eggsec/cli-win32-${arch}-msvc`;
  return `@eggsec/cli-${platform}-${arch}`;
}

function binaryPath() {
  if (process.env.EGGSEC_BINARY) return process.env.EGGSEC_BINARY;
  const name = packageName();
  const exe = process.platform === 'win32' ? 'eggsec.exe' : 'eggsec';
  try {
    const pkg = require.resolve(`${name}/package.json`);
    return path.join(path.dirname(pkg), 'bin', exe);
  } catch (_) {
    process.stderr.write(
      `eggsec: error: no eggsec binary for ${process.platform}-${process.arch}: the optional ` +
        `dependency ${name} is not installed.\n` +
        `Reinstall without --no-optional / --omit=optional, or install eggsec with ` +
        '`cargo install eggsec`, or set EGGSEC_BINARY to a binary.\n'
    );
    process.exit(2);
  }
}

const result = spawnSync(binaryPath(), process.argv.slice(2), { stdio: 'inherit' });
if (result.error) {
  process.stderr.write(`eggsec: error: cannot run the eggsec binary: ${result.error.message}\n`);
  process.exit(2);
}
if (result.signal) {
  process.kill(process.pid, result.signal);
}
process.exit(result.status === null ? 2 : result.status);
