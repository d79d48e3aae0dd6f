//! Lines read into shared blocks: one `read` fills megabytes, and every line in them is a range
//! of the block, shared by reference count, so there is no allocation or copy per line. Only
//! the unfinished line at the end of a block is copied, to the front of the next one.
//! Blocks whose lines have all been dropped are reused (no page faults for fresh memory).

use std::fmt;
use std::io::{self, Read};
use std::ops::Deref;
use std::sync::Arc;

/// Bytes read per block (a longer line grows its block).
const BLOCK_BYTES: usize = 4 << 20;

/// A record's bytes: a range of the block it was read into, or a buffer of its own.
#[derive(Clone)]
pub struct RecordBytes {
    block: Arc<Vec<u8>>,
    start: usize,
    end: usize,
}

impl RecordBytes {
    /// Bytes of their own.
    pub fn from_vec(bytes: Vec<u8>) -> RecordBytes {
        let end = bytes.len();
        RecordBytes { block: Arc::new(bytes), start: 0, end }
    }

    /// Leaves out the first `n` bytes.
    pub fn skip_front(&mut self, n: usize) {
        self.start = (self.start + n).min(self.end);
    }
}

impl Deref for RecordBytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.block[self.start..self.end]
    }
}

impl fmt::Debug for RecordBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&String::from_utf8_lossy(self), f)
    }
}

impl PartialEq for RecordBytes {
    fn eq(&self, other: &RecordBytes) -> bool {
        **self == **other
    }
}

impl Eq for RecordBytes {}

/// One line: its bytes without the `\n` (at most `cap + 1` of them) and its full length.
#[derive(Debug)]
pub struct Line {
    pub bytes: RecordBytes,
    pub total: usize,
}

/// Splits a stream into lines, a block at a time.
pub struct LineBlocks<R> {
    reader: R,
    cap: usize,
    /// Bytes per block (a longer line grows its block).
    block_bytes: usize,
    /// The block being filled: `block[start..filled]` is read and not yet handed out.
    block: Vec<u8>,
    start: usize,
    filled: usize,
    eof: bool,
    /// Blocks handed out (the latest few); reused once no line refers to them.
    spent: Vec<Arc<Vec<u8>>>,
    /// A line over `cap`, cut, waiting to be handed out.
    long: Option<Line>,
}

/// Handed-out blocks remembered for reuse: enough for the batches in flight.
const SPENT_BLOCKS: usize = 16;

impl<R: Read> LineBlocks<R> {
    /// Lines of `reader`; a line longer than `cap` bytes keeps its first `cap + 1` bytes.
    pub fn new(reader: R, cap: usize) -> LineBlocks<R> {
        LineBlocks::with_block_bytes(reader, cap, BLOCK_BYTES)
    }

    fn with_block_bytes(reader: R, cap: usize, block_bytes: usize) -> LineBlocks<R> {
        LineBlocks {
            reader,
            cap,
            block_bytes: block_bytes.max(1),
            block: Vec::new(),
            start: 0,
            filled: 0,
            eof: false,
            spent: Vec::new(),
            long: None,
        }
    }

    /// Appends the next lines to `out` (at least one, unless the stream is over) and returns
    /// how many. The last line needs no `\n`; an empty stream has no line.
    pub fn next_lines(&mut self, out: &mut Vec<Line>) -> io::Result<usize> {
        loop {
            if let Some(line) = self.long.take() {
                out.push(line);
                return Ok(1);
            }
            // What is read is split first: only the unfinished line is left after that.
            let found = self.split(out);
            if found > 0 {
                return Ok(found);
            }
            if self.eof && self.start == self.filled {
                return Ok(0);
            }
            self.make_room()?;
            if self.long.is_none() && !self.eof {
                self.fill()?;
            }
        }
    }

    /// Moves the unfinished line to the front of a fresh block with room after it, growing the
    /// block for a long line; a line over `cap` is cut there and the rest of it skipped.
    fn make_room(&mut self) -> io::Result<()> {
        let pending = self.filled - self.start;
        if pending > self.cap {
            return self.skip_long_line();
        }
        let want = (pending * 2).max(self.block_bytes);
        if self.start == 0 && self.block.len() >= want {
            return Ok(());
        }
        let mut next = self.reusable_block(want);
        next[..pending].copy_from_slice(&self.block[self.start..self.filled]);
        let old = std::mem::replace(&mut self.block, next);
        if !old.is_empty() {
            self.keep_spent(Arc::new(old));
        }
        (self.start, self.filled) = (0, pending);
        Ok(())
    }

    /// A zeroed-once block of at least `len` bytes: a spent one no line refers to any more,
    /// or a new one.
    fn reusable_block(&mut self, len: usize) -> Vec<u8> {
        let free = self.spent.iter().position(|b| Arc::strong_count(b) == 1 && b.len() >= len);
        if let Some(i) = free {
            if let Ok(block) = Arc::try_unwrap(self.spent.swap_remove(i)) {
                return block;
            }
        }
        vec![0; len]
    }

    /// Remembers a handed-out block for reuse, forgetting the oldest beyond [`SPENT_BLOCKS`]
    /// (freed by its last line).
    fn keep_spent(&mut self, block: Arc<Vec<u8>>) {
        if self.spent.len() >= SPENT_BLOCKS {
            self.spent.remove(0);
        }
        self.spent.push(block);
    }

    /// Reads until the block is full or the stream ends.
    fn fill(&mut self) -> io::Result<()> {
        while self.filled < self.block.len() {
            match self.reader.read(&mut self.block[self.filled..]) {
                Ok(0) => {
                    self.eof = true;
                    break;
                }
                Ok(n) => self.filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Hands out the complete lines of the block (and, at the end of the stream, the last
    /// one), sharing the block among them.
    fn split(&mut self, out: &mut Vec<Line>) -> usize {
        let before = out.len();
        let mut ends = Vec::new();
        let mut at = self.start;
        for nl in memchr::memchr_iter(b'\n', &self.block[self.start..self.filled]) {
            let end = self.start + nl;
            ends.push((at, end));
            at = end + 1;
        }
        if self.eof && at < self.filled {
            ends.push((at, self.filled));
            at = self.filled;
        }
        if ends.is_empty() {
            return 0;
        }
        let next = self.reusable_block(self.block.len());
        let block = Arc::new(std::mem::replace(&mut self.block, next));
        let pending = self.filled - at;
        self.block[..pending].copy_from_slice(&block[at..self.filled]);
        (self.start, self.filled) = (0, pending);
        for (s, e) in ends {
            let kept = e.min(s.saturating_add(self.cap).saturating_add(1));
            let bytes = RecordBytes { block: Arc::clone(&block), start: s, end: kept };
            out.push(Line { bytes, total: e - s });
        }
        self.keep_spent(block);
        out.len() - before
    }

    /// The unfinished line is longer than `cap`: keeps its first `cap + 1` bytes, reads and
    /// counts the rest up to its `\n`, and hands it out with its full length.
    fn skip_long_line(&mut self) -> io::Result<()> {
        let kept = self.block[self.start..self.start + self.cap + 1].to_vec();
        let mut total = self.filled - self.start;
        (self.start, self.filled) = (0, 0);
        let mut chunk = vec![0u8; 1 << 16];
        loop {
            let n = match self.reader.read(&mut chunk) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if n == 0 {
                self.eof = true;
                break;
            }
            if let Some(i) = memchr::memchr(b'\n', &chunk[..n]) {
                total += i;
                let rest = &chunk[i + 1..n];
                if self.block.len() < rest.len().max(self.block_bytes) {
                    self.block = vec![0; rest.len().max(self.block_bytes)];
                }
                self.block[..rest.len()].copy_from_slice(rest);
                self.filled = rest.len();
                break;
            }
            total += n;
        }
        self.long = Some(Line { bytes: RecordBytes::from_vec(kept), total });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A reader that hands out at most `step` bytes per read.
    struct Trickle<'a> {
        data: &'a [u8],
        step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.step.min(buf.len()).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    fn all_lines(data: &[u8], cap: usize, block: usize, step: usize) -> Vec<(Vec<u8>, usize)> {
        let mut lines = LineBlocks::with_block_bytes(Trickle { data, step }, cap, block);
        let mut out = Vec::new();
        while lines.next_lines(&mut out).unwrap() > 0 {}
        out.into_iter().map(|l| (l.bytes.to_vec(), l.total)).collect()
    }

    proptest! {
        #[test]
        fn lines_match_a_plain_split(
            data in proptest::collection::vec(prop_oneof![Just(b'\n'), Just(b'\r'), Just(b'a'), Just(b'b')], 0..200),
            cap in 1usize..30,
            block in 1usize..40,
            step in 1usize..50,
        ) {
            let mut want: Vec<(Vec<u8>, usize)> = data
                .split(|&b| b == b'\n')
                .map(|l| (l[..l.len().min(cap + 1)].to_vec(), l.len()))
                .collect();
            // A final line end ends the last line; it does not start another.
            if data.is_empty() || data.ends_with(b"\n") {
                want.pop();
            }
            prop_assert_eq!(all_lines(&data, cap, block, step), want);
        }
    }

    #[test]
    fn long_lines_are_cut_and_counted() {
        let data = b"short\nthis line is long\nlast";
        let got = all_lines(data, 8, 4, 3);
        let want = [(&b"short"[..], 5), (&b"this line"[..], 17), (&b"last"[..], 4)];
        assert_eq!(got.len(), 3);
        for ((bytes, total), (wb, wt)) in got.iter().zip(want) {
            assert_eq!((&bytes[..], *total), (wb, wt));
        }
    }

    #[test]
    fn blocks_are_reused_once_their_lines_are_dropped() {
        let data: Vec<u8> = (0..400).flat_map(|i| format!("line {i}\n").into_bytes()).collect();
        let mut lines = LineBlocks::with_block_bytes(&data[..], 100, 64);
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        while lines.next_lines(&mut out).unwrap() > 0 {
            for l in out.drain(..) {
                seen.insert(Arc::as_ptr(&l.bytes.block) as usize);
            }
        }
        // Thousands of bytes in 64-byte blocks, yet only a few blocks were ever allocated.
        assert!(seen.len() <= 3, "{} blocks", seen.len());
    }
}
