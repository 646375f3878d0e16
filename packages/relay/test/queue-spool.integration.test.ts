/**
 * The spool's own failure cases, on real files: what a crash leaves behind (a temp file before
 * rename, a damaged message file) is never delivered, half or whole; claims are taken over only
 * when their owner is gone or their lease ran out.
 */
import { spawnSync } from 'node:child_process';
import {
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DeliveryFailure, openSpoolQueue } from '../src/queue/index.js';
import { thisOwner } from '../src/queue/spool-files.js';
import {
  envelopeFor,
  eventually,
  FAST,
  messageFor,
  readRecorded,
  recordingDeliver,
} from './queue-fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'kalisto-queue-spool-'));
let counter = 0;
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** This process's host part of claim names (hostname and pid namespace). */
const host = thisOwner().host;
/** The pid of a process that has exited. */
const deadPid = (): number =>
  Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString());

async function spoolWith(path: string, leaseMs = FAST.leaseMs) {
  return openSpoolQueue({ kind: 'spool', path, pollIntervalMs: 20, ...FAST, leaseMs });
}

describe('spool leftovers of a crash', () => {
  it('never delivers a temp file (crash before rename) or a damaged message file, and keeps the damaged one aside', async () => {
    const path = join(root, `s${++counter}`);
    const records = join(root, `rec-${counter}`);
    // A first queue creates the layout and writes one good message.
    const writer = await spoolWith(path);
    const good = await writer.enqueue({ ...envelopeFor(1), raw: messageFor(1) });
    await writer.close();
    const goodFile = readFileSync(join(path, 'queue', `${good}.msg`));

    // What a process killed mid-write leaves: its temp file, complete or not.
    const tmpName = `mi00000aa-0123456789ab~${host}~${deadPid()}.tmp`;
    writeFileSync(join(path, 'tmp', tmpName), goodFile.subarray(0, goodFile.length - 10));
    // A message file cut short (a torn copy, a disk error): a valid name, a body shorter than its header says.
    const torn = 'mi00000ab-0123456789ab';
    const tornFile = Buffer.from(goodFile.toString('latin1').replaceAll(good, torn), 'latin1');
    writeFileSync(join(path, 'queue', `${torn}.msg`), tornFile.subarray(0, tornFile.length - 100));
    // Not a spool file at all.
    writeFileSync(join(path, 'queue', 'mi00000ac-0123456789ab.msg'), 'hello');

    const queue = await spoolWith(path);
    expect(readdirSync(join(path, 'tmp'))).toEqual([]); // the dead process's temp file is gone
    queue.start(recordingDeliver(records));
    await eventually(async () => (await queue.stats()).pending === 0, 'the spool to drain');
    await queue.close();

    const recorded = readRecorded(records);
    expect(recorded.map((r) => r.id)).toEqual([good]);
    expect(recorded[0]?.raw.equals(messageFor(1))).toBe(true);
    expect(readdirSync(join(path, 'corrupt')).sort()).toEqual([`${torn}.msg`, 'mi00000ac-0123456789ab.msg']);
  });
});

describe('spool claims', () => {
  it('takes over a claim with this pid but a token no live queue holds (a restarted container is pid 1 again)', async () => {
    const path = join(root, `s${++counter}`);
    const records = join(root, `rec-${counter}`);
    const writer = await spoolWith(path);
    const id = await writer.enqueue({ ...envelopeFor(2), raw: messageFor(2) });
    await writer.close();
    renameSync(
      join(path, 'queue', `${id}.msg`),
      join(path, 'active', `${id}~${host}~${process.pid}~00ff00ff00ff00ff.msg`),
    );

    const queue = await spoolWith(path);
    queue.start(recordingDeliver(records));
    await eventually(() => readRecorded(records).length === 1, 'the orphaned claim to be delivered');
    await eventually(async () => (await queue.stats()).pending === 0, 'the spool to drain');
    await queue.close();
    expect(readRecorded(records).map((r) => r.id)).toEqual([id]);
  });

  it("leaves a live process's fresh claim alone, and takes it over once its lease has run out", async () => {
    const path = join(root, `s${++counter}`);
    const records = join(root, `rec-${counter}`);
    const writer = await spoolWith(path);
    const claimed = await writer.enqueue({ ...envelopeFor(3), raw: messageFor(3) });
    const other = await writer.enqueue({ ...envelopeFor(4), raw: messageFor(4) });
    await writer.close();
    // Claimed by our parent process (alive) — e.g. another relay on this host, mid-delivery.
    const claimPath = join(path, 'active', `${claimed}~${host}~${process.ppid}~0123456789abcdef.msg`);
    renameSync(join(path, 'queue', `${claimed}.msg`), claimPath);
    utimesSync(claimPath, new Date(), new Date());

    const queue = await spoolWith(path, 600_000);
    queue.start(recordingDeliver(records));
    // start() scans (and judges every claim) before its first delivery: once `other` is delivered,
    // the live claim has been looked at and must still be there, undelivered.
    await eventually(() => readRecorded(records).length === 1, 'the unclaimed message');
    expect(readRecorded(records).map((r) => r.id)).toEqual([other]);
    expect(await queue.list()).toMatchObject([{ id: claimed, inFlight: true }]);

    // Its lease (10 min here) runs out: its pid may now belong to a stranger; the claim is taken over.
    const past = new Date(Date.now() - 700_000);
    utimesSync(claimPath, past, past);
    await eventually(() => readRecorded(records).length === 2, 'the expired claim to be delivered');
    await queue.close();
    expect(
      readRecorded(records)
        .map((r) => r.id)
        .sort(),
    ).toEqual([claimed, other].sort());
  });
});

describe('spool state in memory', () => {
  it('delivers the bytes it accepted without reading its own file back (a file damaged after the 250 changes nothing)', async () => {
    const path = join(root, `s${++counter}`);
    const records = join(root, `rec-${counter}`);
    const queue = await spoolWith(path);
    const raw = messageFor(5);
    const id = await queue.enqueue({ ...envelopeFor(5), raw });
    // The file on disk is cut short after the 250: read back, it would be moved to corrupt/ instead.
    const file = join(path, 'queue', `${id}.msg`);
    writeFileSync(file, readFileSync(file).subarray(0, 40));
    queue.start(recordingDeliver(records));
    await eventually(() => readRecorded(records).length === 1, 'the delivery');
    await queue.close();
    const [delivered] = readRecorded(records);
    expect(delivered?.id).toBe(id);
    expect(delivered?.raw.equals(raw)).toBe(true);
    expect(readdirSync(join(path, 'corrupt'))).toEqual([]);
    expect(readdirSync(join(path, 'queue'))).toEqual([]);
  });

  it('sees a retry made by another process on the same spool: a message waiting for its backoff goes at once', async () => {
    const path = join(root, `s${++counter}`);
    const records = join(root, `rec-${counter}`);
    const slow = { backoffBaseMs: 600_000, backoffMaxMs: 600_000 };
    const queue = await openSpoolQueue({ kind: 'spool', path, pollIntervalMs: 20, ...FAST, ...slow });
    const id = await queue.enqueue({ ...envelopeFor(6), raw: messageFor(6) });
    let attempts = 0;
    const record = recordingDeliver(records);
    queue.start(async (item, raw, context) => {
      if (++attempts === 1)
        throw new DeliveryFailure({ transient: true, reply: '451 4.3.0 Try again later', code: 451 });
      return record(item, raw, context);
    });
    await eventually(async () => (await queue.list())[0]?.attempts === 1, 'the first attempt to fail');
    expect((await queue.list())[0]?.nextAttemptAt).toBeGreaterThan(Date.now() + 60_000);

    // An operator's `kalisto relay queue retry` runs in another process: another queue on the directory.
    const operator = await openSpoolQueue({ kind: 'spool', path, ...FAST, ...slow });
    await operator.retry(id);
    await operator.close();
    await eventually(
      () => readRecorded(records).length === 1,
      'the retried message, well before its backoff',
    );
    await queue.close();
    expect(readRecorded(records).map((r) => r.id)).toEqual([id]);
    expect(attempts).toBe(2);
  });
});
