/**
 * `npm run replay -- <capture file>`: feeds a recorded capture through the gateway's adapter and
 * book code offline; the last output line is the JSON report (see app/replay/replay.ts).
 */
import { closeReplay, replayCapture } from './app/replay/replay';

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: npm run replay -- <capture file>   (e.g. fixtures/captures/BINANCE.ws.1.0)\n');
  process.exit(2);
}
replayCapture(file)
  .then((result) => {
    for (const feed of result.feeds.values()) {
      const book = feed.book;
      process.stdout.write(
        `${feed.symbol}: ${feed.counts.trades} trades, ${feed.counts.l1} l1, ${feed.counts.l2} l2, book ${book?.state ?? 'none'} seq ${book?.seq ?? '-'}\n`,
      );
    }
    closeReplay(result);
    process.stdout.write(`${JSON.stringify(result.report)}\n`);
    process.exit(0);
  })
  .catch((err: Error) => {
    process.stderr.write(`replay failed: ${err.message}\n`);
    process.exit(1);
  });
