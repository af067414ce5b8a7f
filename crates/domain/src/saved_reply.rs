//! Saved replies (docs/product.md §6): answers supervisors keep for the desk, each in both
//! product languages, so an agent answers a buyer in the buyer's language with one choice.

use crate::Text;
use crate::ticket::{BODY_MAX, SUBJECT_MAX, TicketError};
use rand::RngExt;
use serde::{Deserialize, Serialize};

/// The characters of a saved reply's id after `SR-` (Crockford base32).
const ID_CHARS: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const ID_LEN: usize = 10;

/// A new saved reply's id: `SR-` and ten random Crockford base32 characters.
pub fn new_id<R: rand::Rng + ?Sized>(rng: &mut R) -> String {
    let suffix: String = (0..ID_LEN).map(|_| char::from(ID_CHARS[rng.random_range(0..32usize)])).collect();
    format!("SR-{suffix}")
}

/// Whether `text` is a saved reply's id (anything else names none).
pub fn is_id(text: &str) -> bool {
    text.strip_prefix("SR-").is_some_and(|s| s.len() == ID_LEN && s.bytes().all(|b| ID_CHARS.contains(&b)))
}

/// A saved reply's words: a title for the desk's list and the reply in zh-CN and English.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedReply {
    pub title: String,
    pub body: Text,
}

impl SavedReply {
    /// Checked: a title of at most [`SUBJECT_MAX`] characters, and both languages' replies
    /// present and of at most [`BODY_MAX`] characters (spaces around each trimmed).
    pub fn new(title: &str, zh: &str, en: &str) -> Result<SavedReply, TicketError> {
        let title = title.trim();
        if title.is_empty() || title.chars().count() > SUBJECT_MAX {
            return Err(TicketError::Subject);
        }
        let (zh, en) = (zh.trim(), en.trim());
        if [zh, en].iter().any(|b| b.is_empty() || b.chars().count() > BODY_MAX) {
            return Err(TicketError::Body);
        }
        Ok(SavedReply { title: title.to_owned(), body: Text::new(zh, en) })
    }

    /// The reply in the language of `tag` (`en…` English, anything else zh-CN).
    pub fn text_for(&self, tag: &str) -> &str {
        self.body.get(tag)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_reply_has_a_title_and_both_languages() {
        let r =
            SavedReply::new(" 到账时间 ", "退款将在 1–7 个工作日内到账。", "Refunds arrive within 1–7 business days.")
                .expect("valid");
        assert_eq!(
            (r.title.as_str(), r.text_for("en"), r.text_for("zh-CN")),
            ("到账时间", "Refunds arrive within 1–7 business days.", "退款将在 1–7 个工作日内到账。")
        );
        assert_eq!(SavedReply::new(" ", "中文", "English"), Err(TicketError::Subject));
        assert_eq!(SavedReply::new(&"题".repeat(SUBJECT_MAX + 1), "中文", "English"), Err(TicketError::Subject));
        assert_eq!(SavedReply::new("标题", "中文", "  "), Err(TicketError::Body), "English is needed too");
        assert_eq!(SavedReply::new("标题", &"字".repeat(BODY_MAX + 1), "English"), Err(TicketError::Body));
    }

    #[test]
    fn ids_are_random_and_recognised() {
        let mut rng = rand::rng();
        let (a, b) = (new_id(&mut rng), new_id(&mut rng));
        assert!(is_id(&a) && is_id(&b) && a != b, "{a} {b}");
        for bad in ["SR-", "SR-0123456789A", "sr-0123456789", "SR-01234567IO", "TK-0123456789"] {
            assert!(!is_id(bad), "{bad}");
        }
    }
}
