//! The words of the search index a typed word is the start of, read from FTS5's own term
//! b-tree, so that a common word's first page is read lazily (issues 16 and 17).
//!
//! FTS5 reads the start of a word (`"heat"*`) by merging the hits of every word it starts
//! into one list in memory before it hands out the first one — unless the start is as long
//! as one of the index's prefix indexes (2 or 3 characters, schema V17) — so `ORDER BY rowid
//! DESC LIMIT 50` reads all 1.5 million hits of `requester` on a million tickets. The same
//! words joined by OR (`"heat" OR "heater" OR "heating"`) are merged as they are read, in
//! row id order, and stop at the page's end. Which words those are is read from the index
//! itself: each segment's b-tree (`search_idx`: the first term of each leaf page that holds
//! one) names the few leaf pages where words with that start begin, and the pages' footers
//! say where each word on them begins — no hit is read. Every word of the index with that
//! start is found (a word deleted since is harmless: it finds nothing more), so the OR finds
//! exactly what the start finds. Anything this build does not read as it expects (another
//! format version, a page that does not parse) reads the start as FTS5 does.

use rusqlite::{Connection, OptionalExtension, params};
use std::cell::{Cell, OnceCell, RefCell};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use crate::store::query::OpenHits;

/// The version of FTS5's format read here (`search_config`'s `version`; 5 is secure-delete's).
const FORMAT: i64 = 4;
/// The structure record's row in `search_data`: the index's segments.
const STRUCTURE: i64 = 10;
/// A leaf page's row in `search_data`: its segment's id shifted past the page number (31
/// bits), the doclist-index flag and the height (FTS5_SEGMENT_ROWID).
const SEGMENT_SHIFT: u32 = 37;
/// Past the largest segment id whose pages' row ids fit in an i64 (FTS5's own are < 65,536).
const MOST_SEGMENT: i64 = 1 << (63 - SEGMENT_SHIFT);
/// The first byte of every term of the main index ('1', '2', … are the prefix indexes').
const MAIN: u8 = b'0';
/// The longest OR a start becomes: more words, and it is read as FTS5 reads a start.
pub const MOST_WORDS: usize = 32;
/// The most leaf pages read to find them (a start shared by many words gives up early).
const MOST_PAGES: usize = 256;

/// A segment of the index: its id and the leaf pages it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Segment {
    id: i64,
    first: i64,
    last: i64,
}

/// SQLite's variable-length integer (FTS5 writes its own with it): None past the end.
fn varint(b: &[u8], at: &mut usize) -> Option<u64> {
    let mut v: u64 = 0;
    for i in 0..9 {
        let byte = *b.get(*at)?;
        *at += 1;
        if i == 8 {
            return Some((v << 8) | u64::from(byte));
        }
        v = (v << 7) | u64::from(byte & 0x7f);
        if byte & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

fn small(b: &[u8], at: &mut usize) -> Option<usize> {
    usize::try_from(varint(b, at)?).ok()
}

/// The segments of a structure record (fts5StructureDecode): a cookie, then the levels and
/// their segments, each an id and its first and last leaf page (0 and 0: emptied by a
/// merge). None for anything else, and for the second format (contentless tables only).
fn segments(block: &[u8]) -> Option<Vec<Segment>> {
    if block.get(4..8)? == b"\xFF\x00\x00\x01" {
        return None;
    }
    let mut at = 4;
    let levels = varint(block, &mut at)?;
    let total = varint(block, &mut at)?;
    varint(block, &mut at)?; // the write counter
    let (mut out, mut seen) = (Vec::new(), 0u64);
    for _ in 0..levels {
        varint(block, &mut at)?; // segments being merged
        let n = varint(block, &mut at)?;
        for _ in 0..n {
            let id = i64::try_from(varint(block, &mut at)?).ok()?;
            let first = i64::try_from(varint(block, &mut at)?).ok()?;
            let last = i64::try_from(varint(block, &mut at)?).ok()?;
            // A page's row id is the segment's id shifted past a 31-bit page number: an id or
            // a page that does not fit (a damaged record) names no page of this index.
            if last < first || !(1..MOST_SEGMENT).contains(&id) || last >= 1 << 31 {
                return None;
            }
            if first > 0 {
                out.push(Segment { id, first, last });
            }
            seen += 1;
        }
    }
    (seen == total).then_some(out)
}

/// The terms on a leaf page that start with `key`, added to `out`. A page: two big-endian
/// 16-bit numbers (where its first rowid is, where its footer starts), terms and their hit
/// lists, then the footer: where each term on the page begins (the first as an offset, the
/// others as the distance from the one before). The first term on a page is written whole
/// (its length, its bytes); each next one as the bytes it shares with the one before, the
/// number of new bytes, and those. None when the page does not read so.
fn page_terms(page: &[u8], key: &[u8], out: &mut BTreeSet<Vec<u8>>) -> Option<()> {
    let footer = usize::from(u16::from_be_bytes([*page.get(2)?, *page.get(3)?]));
    if footer < 4 || footer > page.len() {
        return None;
    }
    let (body, offsets) = page.split_at(footer);
    let (mut at, mut offset) = (0, 0usize);
    let mut term: Vec<u8> = Vec::new();
    let mut first = true;
    while at < offsets.len() {
        offset = offset.checked_add(small(offsets, &mut at)?)?;
        let mut p = offset;
        let kept = if first { 0 } else { small(body, &mut p)? };
        let new = small(body, &mut p)?;
        if kept > term.len() {
            return None;
        }
        term.truncate(kept);
        term.extend_from_slice(body.get(p..p.checked_add(new)?)?);
        first = false;
        if term.starts_with(key) {
            out.insert(term.clone());
        }
    }
    Some(())
}

/// The words of the index a start is the start of, as `search_idx` and `search_data` hold
/// them now; None when there are more than [`MOST_WORDS`] (or too many pages to read), or the
/// index does not read as this build expects it to.
fn words_starting(
    c: &Connection,
    segments: &[Segment],
    start: &str,
) -> rusqlite::Result<Option<Vec<String>>> {
    let mut key = vec![MAIN];
    key.extend_from_slice(start.as_bytes());
    // Past every term that starts with `key`: no byte of UTF-8 is 0xFF.
    let mut end = key.clone();
    end.push(0xFF);
    // Each word once (a word is in many segments), in byte order.
    let mut found: BTreeSet<Vec<u8>> = BTreeSet::new();
    let mut read = 0;
    for s in segments {
        // The page where `key` would be (FTS5's own seek: the last page whose first term is
        // not after it; pages before the segment's first were merged away), then every page
        // whose first term starts with it.
        let at: Option<i64> = c
            .prepare_cached(
                "SELECT pgno FROM search_idx WHERE segid = ?1 AND term <= ?2 \
                 ORDER BY term DESC LIMIT 1",
            )?
            .query_row(params![s.id, key], |r| r.get(0))
            .optional()?;
        let mut pages = vec![at.map_or(1, |v| v >> 1).max(s.first)];
        let mut stmt = c.prepare_cached(
            "SELECT pgno FROM search_idx WHERE segid = ?1 AND term > ?2 AND term < ?3 \
             ORDER BY term",
        )?;
        let later = stmt.query_map(params![s.id, key, end], |r| r.get::<_, i64>(0))?;
        for v in later {
            pages.push(v? >> 1);
        }
        pages.retain(|p| (s.first..=s.last).contains(p));
        pages.sort_unstable();
        pages.dedup();
        for p in pages {
            read += 1;
            if read > MOST_PAGES {
                return Ok(None);
            }
            let block: Option<Vec<u8>> = c
                .prepare_cached("SELECT block FROM search_data WHERE id = ?1")?
                .query_row([(s.id << SEGMENT_SHIFT) + p], |r| r.get(0))
                .optional()?;
            let Some(block) = block else {
                return Ok(None);
            };
            if page_terms(&block, &key, &mut found).is_none() {
                return Ok(None);
            }
            // Too many already: no need to read the other pages to know.
            if found.len() > MOST_WORDS {
                return Ok(None);
            }
        }
    }
    Ok(found
        .into_iter()
        .map(|t| String::from_utf8(t[1..].to_vec()).ok())
        .collect())
}

/// Whether FTS5 reads a start as a start of this many characters from a prefix index of
/// its own (schema V17: `prefix = '2 3'`), which it reads lazily already.
fn has_prefix_index(chars: usize) -> bool {
    matches!(chars, 2 | 3)
}

/// Whether the index holds a start typed so exactly as written: the tokenizer (`unicode61
/// remove_diacritics 2`) keeps lower-case ASCII letters and digits, and lower-case Cyrillic
/// letters (no diacritic of its table is Cyrillic), as they are. Anything else is read as
/// FTS5 reads a start.
fn as_indexed(start: &str) -> bool {
    start.chars().all(|c| {
        c.is_ascii_lowercase()
            || c.is_ascii_digit()
            || ('\u{0430}'..='\u{045F}').contains(&c)
            || c == '\u{0491}'
    })
}

/// The words of the index typed starts stand for, read in one snapshot with the statement
/// they go into: the first look-up opens a read transaction (when none is open), which ends
/// when this is dropped — after the statement ran. Inside a transaction already open it
/// looks nothing up (words a write of that transaction indexed may not be written out yet).
pub struct Terms<'c> {
    conn: Option<&'c Connection>,
    /// The open tickets with hits of an expression, kept by the store (`query::open`).
    open: Option<&'c OpenHits>,
    began: Cell<bool>,
    segments: OnceCell<Option<Vec<Segment>>>,
    found: RefCell<HashMap<String, Option<Vec<String>>>>,
}

impl<'c> Terms<'c> {
    /// Starts read as FTS5 reads them (PostgreSQL, ranking, the plain plan).
    pub fn none() -> Terms<'static> {
        Terms::over(None)
    }

    /// Starts read as the words of this SQLite desk's index.
    pub fn of(conn: &'c Connection) -> Terms<'c> {
        Terms::over(Some(conn))
    }

    fn over(conn: Option<&'c Connection>) -> Terms<'c> {
        Terms {
            conn,
            open: None,
            began: Cell::new(false),
            segments: OnceCell::new(),
            found: RefCell::new(HashMap::new()),
        }
    }

    /// The words of the index that `start` (a typed word's stem, as `word` searches it) is
    /// the start of; None: read `start*` as FTS5 does.
    pub fn words(&self, start: &str) -> Option<Vec<String>> {
        let c = self.conn?;
        if has_prefix_index(start.chars().count()) || !as_indexed(start) {
            return None;
        }
        if let Some(known) = self.found.borrow().get(start) {
            return known.clone();
        }
        if !self.begin(c) {
            return None;
        }
        let segments = self
            .segments
            .get_or_init(|| read_segments(c).ok().flatten())
            .as_deref()?;
        let words = words_starting(c, segments, start).ok().flatten();
        self.found
            .borrow_mut()
            .insert(start.to_string(), words.clone());
        words
    }
}

impl<'c> Terms<'c> {
    /// Reads the open tickets' hits of the index with `open` (see `query::open`).
    pub fn with_open_hits(mut self, open: &'c OpenHits) -> Terms<'c> {
        self.open = Some(open);
        self
    }

    /// The open tickets that have a part `expr` finds, as a JSON array of their ids, read in
    /// the snapshot of the statement they go into (or kept from the same desk); None: the
    /// statement asks the index itself (no SQLite, inside a transaction already open, or
    /// the reading failed).
    pub fn open_hits(&self, expr: &str) -> Option<Arc<str>> {
        let (c, open) = (self.conn?, self.open?);
        if !self.begin(c) {
            return None;
        }
        open.json(c, expr).ok()
    }

    /// Opens the read transaction the statements of a page run in (when this reads a
    /// desk's index and none is open), so that what one reads (a word's hits) and what the
    /// next reads with it (the walks testing them) see the same desk.
    pub fn hold(&self) {
        if let Some(c) = self.conn {
            self.begin(c);
        }
    }

    /// Opens the read transaction the statement runs in, unless one is open (false: one
    /// that this did not open is, or it could not be opened).
    fn begin(&self, c: &Connection) -> bool {
        if !self.began.get() {
            if !c.is_autocommit() || c.execute_batch("BEGIN").is_err() {
                return false;
            }
            self.began.set(true);
        }
        true
    }
}

impl Drop for Terms<'_> {
    fn drop(&mut self) {
        if let Some(c) = self.conn.filter(|_| self.began.get())
            && c.execute_batch("COMMIT").is_err()
        {
            let _ = c.execute_batch("ROLLBACK");
        }
    }
}

/// The index's segments, when its format is the one read here.
fn read_segments(c: &Connection) -> rusqlite::Result<Option<Vec<Segment>>> {
    let version: Option<i64> = c
        .query_row("SELECT v FROM search_config WHERE k = 'version'", [], |r| {
            r.get(0)
        })
        .optional()?;
    if version != Some(FORMAT) {
        return Ok(None);
    }
    let block: Option<Vec<u8>> = c
        .query_row(
            "SELECT block FROM search_data WHERE id = ?1",
            [STRUCTURE],
            |r| r.get(0),
        )
        .optional()?;
    Ok(block.as_deref().and_then(segments))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Words from a few shared starts and endings (Cyrillic among them), many to a start.
    fn text(seed: &mut u64, n: usize) -> String {
        const STARTS: [&str; 8] = ["heat", "hea", "request", "квартир", "lift", "li", "zz", "9"];
        const ENDS: [&str; 9] = ["", "er", "ing", "s", "ed", "ы", "е", "0", "requester"];
        let mut next = || {
            *seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (*seed >> 33) as usize
        };
        (0..n)
            .map(|_| format!("{}{}{}", STARTS[next() % 8], ENDS[next() % 9], next() % 3))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// A table named as the desk's, whose index is many segments of small pages: written
    /// in many transactions, with deletions and updates, merged only in part (the first
    /// pages of a segment being merged are gone).
    fn index() -> Connection {
        let c = Connection::open_in_memory().expect("memory");
        c.execute_batch(
            "CREATE VIRTUAL TABLE search USING fts5 (a, b, tokenize = 'unicode61 \
             remove_diacritics 2', prefix = '2 3');
             INSERT INTO search (search, rank) VALUES ('pgsz', 64);
             INSERT INTO search (search, rank) VALUES ('automerge', 0);",
        )
        .expect("table");
        let mut seed = 7;
        for round in 0..40 {
            let tx = c.unchecked_transaction().expect("tx");
            for i in 0..25 {
                let id = round * 25 + i + 1;
                tx.execute(
                    "INSERT INTO search (rowid, a, b) VALUES (?1, ?2, ?3)",
                    params![id, text(&mut seed, 6), text(&mut seed, 3)],
                )
                .expect("insert");
            }
            if round % 3 == 0 {
                tx.execute("DELETE FROM search WHERE rowid % 11 = ?1", [round % 11])
                    .expect("delete");
                tx.execute(
                    "UPDATE search SET a = ?1 WHERE rowid = ?2",
                    params![text(&mut seed, 4), round * 20 + 3],
                )
                .expect("update");
            }
            if round % 7 == 6 {
                // A merge of a few pages: it stops inside segments, trimming them.
                tx.execute("INSERT INTO search (search, rank) VALUES ('merge', 3)", [])
                    .expect("merge");
            }
            tx.commit().expect("commit");
        }
        // And one merge left halfway.
        c.execute_batch(
            "INSERT INTO search (search, rank) VALUES ('usermerge', 2);
             INSERT INTO search (search, rank) VALUES ('merge', 6);",
        )
        .expect("merge");
        c
    }

    fn hits(c: &Connection, expr: &str) -> Vec<i64> {
        let mut s = c
            .prepare("SELECT rowid FROM search WHERE search MATCH ?1 ORDER BY rowid DESC")
            .expect("prepare");
        s.query_map([expr], |r| r.get(0))
            .expect("query")
            .collect::<rusqlite::Result<_>>()
            .expect("rows")
    }

    /// Every word of the index with a start is found (FTS5's own list of its words is
    /// within them, and each found word starts so), and their OR finds what the start finds,
    /// in the same order: on an index of many segments, some merged in part, with deletions.
    #[test]
    fn the_words_of_a_start_find_what_the_start_finds() {
        let c = index();
        let segs = read_segments(&c).expect("read").expect("segments");
        assert!(segs.len() > 5, "{} segments", segs.len());
        assert!(
            segs.iter().any(|s| s.first > 1),
            "a segment merged in part: {segs:?}"
        );
        c.execute_batch("CREATE VIRTUAL TABLE temp.v USING fts5vocab(main, search, row)")
            .expect("vocab");
        let vocab: Vec<String> = c
            .prepare("SELECT term FROM v")
            .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
            .expect("terms");
        let mut tried = 0;
        for start in [
            "heat",
            "heate",
            "heating",
            "requ",
            "request",
            "requester",
            "квар",
            "квартир",
            "квартиры",
            "lift",
            "lifte",
            "zz0",
            "zzz",
            "9s",
            "90",
            "nothing",
            "hea",
        ] {
            let Some(found) = words_starting(&c, &segs, start).expect("read") else {
                continue;
            };
            tried += 1;
            assert!(
                found.iter().all(|w| w.starts_with(start)),
                "{start}: {found:?}"
            );
            for w in vocab.iter().filter(|w| w.starts_with(start)) {
                assert!(found.contains(w), "{start}: {w} missing from {found:?}");
            }
            let plain = hits(&c, &format!("\"{start}\"*"));
            if found.is_empty() {
                assert!(plain.is_empty(), "{start}");
                continue;
            }
            let any: Vec<String> = found.iter().map(|w| format!("\"{w}\"")).collect();
            assert_eq!(hits(&c, &any.join(" OR ")), plain, "{start}");
        }
        assert!(tried >= 14, "most starts have few words: {tried}");
    }

    #[test]
    fn varints_read_as_sqlite_writes_them() {
        let read = |b: &[u8]| varint(b, &mut 0);
        assert_eq!(read(&[0x05]), Some(5));
        assert_eq!(read(&[0x81, 0x00]), Some(128));
        assert_eq!(read(&[0xFF; 9]), Some(u64::MAX));
        assert_eq!(read(&[0x81]), None, "cut short");
        assert_eq!(read(&[]), None);
    }

    #[test]
    fn a_page_that_does_not_read_gives_up() {
        let mut out = BTreeSet::new();
        assert_eq!(page_terms(&[0, 0, 0, 2], b"0a", &mut out), None);
        assert_eq!(page_terms(&[0, 0, 0, 9], b"0a", &mut out), None);
        // One term "0ab" at offset 4, then the footer [4]; a second offset past the end.
        let page = [0, 0, 0, 8, 3, b'0', b'a', b'b', 4];
        assert_eq!(page_terms(&page, b"0a", &mut out), Some(()));
        assert_eq!(out, BTreeSet::from([b"0ab".to_vec()]));
        let page = [0, 0, 0, 8, 3, b'0', b'a', b'b', 4, 9];
        assert_eq!(page_terms(&page, b"0a", &mut out), None);
        assert_eq!(segments(&[0, 0, 0, 0, 1]), None, "cut short");
    }

    /// A structure record naming a segment id or a page whose row id does not fit (a damaged
    /// index) reads as no segments, never as an overflowing row id (a panic, or another
    /// segment's page): one level, one segment, as fts5StructureDecode reads it.
    #[test]
    fn a_segment_whose_pages_have_no_row_id_gives_up() {
        let record = |id: &[u8], first: &[u8], last: &[u8]| {
            let mut b = vec![0, 0, 0, 0, 1, 1, 0, 0, 1];
            b.extend_from_slice(id);
            b.extend_from_slice(first);
            b.extend_from_slice(last);
            b
        };
        assert_eq!(
            segments(&record(&[5], &[1], &[9])),
            Some(vec![Segment {
                id: 5,
                first: 1,
                last: 9
            }])
        );
        // id 2^28 (its pages' row ids past i64), and pages 2^40 (past 31 bits).
        let big_id = [0x81, 0x80, 0x80, 0x80, 0];
        assert_eq!(segments(&record(&big_id, &[1], &[9])), None);
        let big_page = [0xA0, 0x80, 0x80, 0x80, 0x80, 0];
        assert_eq!(segments(&record(&[5], &big_page, &big_page)), None);
        assert_eq!(segments(&record(&[0], &[1], &[9])), None, "no segment 0");
    }
}
