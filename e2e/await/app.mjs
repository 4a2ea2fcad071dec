// The app `highlander await` gates in the e2e tests: while it runs it appends `epoch pid time kind`
// lines to the file named by its argument, every 20 ms. It fences its own writes with its epoch
// (HIGHLANDER_EPOCH): a line of a newer epoch in the file means it was deposed, and it writes
// nothing more (the refusal goes to FILE.refused). SIGTERM ends it at once.
import { appendFileSync, closeSync, fstatSync, openSync, readSync } from 'node:fs';

const file = process.argv[2];
const epoch = Number(process.env.HIGHLANDER_EPOCH);
if (!file || !Number.isInteger(epoch)) throw new Error('usage: HIGHLANDER_EPOCH=n node app.mjs FILE');

/** The epoch of the file's last line (0 when empty). */
function lastEpoch() {
  let fd;
  try {
    fd = openSync(file, 'r');
  } catch {
    return 0;
  }
  try {
    const size = fstatSync(fd).size;
    const tail = Buffer.alloc(Math.min(size, 256));
    readSync(fd, tail, 0, tail.length, size - tail.length);
    const lines = tail.toString('utf8').trim().split('\n');
    return Number(lines[lines.length - 1]?.split(' ')[0] ?? 0) || 0;
  } finally {
    closeSync(fd);
  }
}

function write(kind) {
  const newest = lastEpoch();
  if (newest > epoch) {
    appendFileSync(`${file}.refused`, `${epoch} ${process.pid} ${Date.now()} after ${newest}\n`);
    return;
  }
  appendFileSync(file, `${epoch} ${process.pid} ${Date.now()} ${kind}\n`);
}

write('start');
setInterval(() => write('tick'), 20);
process.on('SIGTERM', () => process.exit(0));
