// Telling a replaced pm2 daemon from the one last talked to: by its pid, once per replacement.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DaemonIdentity, readDaemonPid } from '../../src/pm2/daemon-identity.js';

test('the first daemon reached replaces nothing; another pid is a replacement, said once', () => {
  const daemon = new DaemonIdentity();
  assert.equal(daemon.reached(100), undefined);
  assert.equal(daemon.reached(100), undefined);
  assert.deepEqual(daemon.reached(200), { oldPid: 100, newPid: 200 });
  assert.equal(daemon.reached(200), undefined);
  assert.deepEqual(daemon.reached(300), { oldPid: 200, newPid: 300 });
});

test('an unreadable pid proves nothing, and the known one stays the one compared with', () => {
  const daemon = new DaemonIdentity();
  assert.equal(daemon.reached(undefined), undefined);
  assert.equal(daemon.reached(100), undefined);
  assert.equal(daemon.reached(undefined), undefined);
  assert.deepEqual(daemon.reached(200), { oldPid: 100, newPid: 200 });
});

test('after a deliberate kill the next daemon is no replacement', () => {
  const daemon = new DaemonIdentity();
  daemon.reached(100);
  daemon.forget();
  assert.equal(daemon.reached(200), undefined);
  assert.deepEqual(daemon.reached(300), { oldPid: 200, newPid: 300 });
});

test('readDaemonPid reads pm2.pid, and gives nothing for a missing or garbled file', () => {
  const home = mkdtempSync(join(tmpdir(), 'pm2mcp-pid-'));
  try {
    assert.equal(readDaemonPid(home), undefined);
    writeFileSync(join(home, 'pm2.pid'), '4242');
    assert.equal(readDaemonPid(home), 4242);
    writeFileSync(join(home, 'pm2.pid'), 'not a pid');
    assert.equal(readDaemonPid(home), undefined);
    writeFileSync(join(home, 'pm2.pid'), '0');
    assert.equal(readDaemonPid(home), undefined);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
