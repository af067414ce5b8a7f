//! Keyset paging, the one contract every list follows: a page is at most `limit` rows in the
//! list's order, read by an index seek to the position after the previous page's last row
//! (the cursor) — never by an offset, which would walk every row before it. Each list's order
//! ends in a unique column, so between two pages nothing repeats and nothing is skipped,
//! whatever is written meanwhile: a row that moves is seen where it stands when its page is
//! read.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

/// How many rows a page has when the request does not say.
pub const DEFAULT_LIMIT: u32 = 50;
/// The most a page may have.
pub const MAX_LIMIT: u32 = 200;

/// One value of a row's sort key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum KeyPart {
    Int(i64),
    Text(String),
}

/// Where a page ends: the list it belongs to and the sort key of its last row. Sent to
/// clients as an opaque string ([`Cursor::encode`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    list: String,
    key: Vec<KeyPart>,
}

#[derive(Serialize, Deserialize)]
struct Wire(String, Vec<KeyPart>);

impl Cursor {
    pub(crate) fn new(list: &str, key: Vec<KeyPart>) -> Cursor {
        Cursor { list: list.to_owned(), key }
    }

    /// The opaque form: URL-safe base64 of a small JSON array.
    pub fn encode(&self) -> String {
        let json = serde_json::to_vec(&Wire(self.list.clone(), self.key.clone())).unwrap_or_default();
        URL_SAFE_NO_PAD.encode(json)
    }

    /// Reads an opaque cursor back; `None` if it is not one Redress made. Whether it belongs
    /// to the list it is used on is checked by that list.
    pub fn decode(s: &str) -> Option<Cursor> {
        if s.len() > 512 {
            return None;
        }
        let bytes = URL_SAFE_NO_PAD.decode(s).ok()?;
        let Wire(list, key) = serde_json::from_slice(&bytes).ok()?;
        Some(Cursor { list, key })
    }

    /// Its key, if it was made by `list` with values of the kinds `shape` gives (`'i'` an
    /// integer, `'t'` a text); else the cursor is someone else's and is refused.
    pub(crate) fn key_for(&self, list: &str, shape: &str) -> Result<&[KeyPart], crate::StoreError> {
        let fits = self.list == list
            && self.key.len() == shape.len()
            && self
                .key
                .iter()
                .zip(shape.chars())
                .all(|(k, c)| matches!((k, c), (KeyPart::Int(_), 'i') | (KeyPart::Text(_), 't')));
        if fits { Ok(&self.key) } else { Err(crate::StoreError::BadCursor) }
    }
}

/// What a list is asked for: how many rows, after which one.
#[derive(Debug, Clone, Default)]
pub struct PageRequest {
    /// Clamped to 1..=[`MAX_LIMIT`]; 0 means [`DEFAULT_LIMIT`].
    pub limit: u32,
    pub after: Option<Cursor>,
}

impl PageRequest {
    pub fn first(limit: u32) -> PageRequest {
        PageRequest { limit, after: None }
    }

    /// The page size to read.
    pub(crate) fn size(&self) -> usize {
        match self.limit {
            0 => DEFAULT_LIMIT as usize,
            n => n.min(MAX_LIMIT) as usize,
        }
    }

    /// The `LIMIT` to ask the database for: one row more than the page, to know whether there
    /// is a next one.
    pub(crate) fn fetch(&self) -> i64 {
        self.size() as i64 + 1
    }
}

/// One page of a list, and the cursor of the next one (`None` on the last page).
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<Cursor>,
}

impl<T> Page<T> {
    /// The page from rows read with [`PageRequest::fetch`]: the extra row, if there is one, is
    /// dropped and the next page starts after the last row kept.
    pub(crate) fn of(mut rows: Vec<T>, req: &PageRequest, list: &str, key: impl Fn(&T) -> Vec<KeyPart>) -> Page<T> {
        let more = rows.len() > req.size();
        rows.truncate(req.size());
        let next = if more { rows.last().map(|last| Cursor::new(list, key(last))) } else { None };
        Page { items: rows, next }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page { items: self.items.into_iter().map(f).collect(), next: self.next }
    }
}

/// Binds a cursor's key, in order.
pub(crate) fn bind_key<'q>(
    mut q: crate::applications::row::AnyQuery<'q>,
    key: &[KeyPart],
) -> crate::applications::row::AnyQuery<'q> {
    for k in key {
        q = match k {
            KeyPart::Int(i) => q.bind(*i),
            KeyPart::Text(t) => q.bind(t.clone()),
        };
    }
    q
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_reads_back_and_is_checked_against_its_list() {
        let c = Cursor::new("queue", vec![KeyPart::Int(1_733_000_000_000), KeyPart::Text("RF-20261201-ABC123".into())]);
        let s = c.encode();
        assert!(s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "{s}");
        let back = Cursor::decode(&s).expect("decodes");
        assert_eq!(back, c);
        assert!(back.key_for("queue", "it").is_ok());
        assert!(back.key_for("queue", "ii").is_err(), "wrong kinds");
        assert!(back.key_for("orders", "it").is_err(), "another list's cursor");
        for bad in ["", "!!", "bm90IGpzb24", &"A".repeat(600)] {
            assert!(Cursor::decode(bad).is_none_or(|c| c.key_for("queue", "it").is_err()), "{bad}");
        }
    }

    #[test]
    fn a_page_keeps_its_size_and_says_where_the_next_starts() {
        let req = PageRequest::first(2);
        let p = Page::of(vec![1, 2, 3], &req, "n", |n| vec![KeyPart::Int(*n)]);
        assert_eq!(p.items, vec![1, 2]);
        assert_eq!(p.next, Some(Cursor::new("n", vec![KeyPart::Int(2)])));
        let last = Page::of(vec![1, 2], &req, "n", |n| vec![KeyPart::Int(*n)]);
        assert_eq!(last.next, None);
        assert_eq!(PageRequest::first(0).size(), DEFAULT_LIMIT as usize);
        assert_eq!(PageRequest::first(10_000).size(), MAX_LIMIT as usize);
    }
}
