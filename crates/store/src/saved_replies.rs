//! The `saved_replies` table: answers supervisors keep for the desk, listed by title (the
//! index `saved_replies_title`), each changed over its version.

use crate::page::{KeyPart, Page, PageRequest, bind_key};
use crate::{Store, StoreError, from_ms, ms};
use jiff::Timestamp;
use redress_domain::saved_reply::SavedReply;
use sqlx::Row;
use sqlx::any::AnyRow;

/// A saved reply as kept: its words, who changed it last and when, and its version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredReply {
    pub id: String,
    pub reply: SavedReply,
    pub updated_by: String,
    pub updated_at: Timestamp,
    pub version: i64,
}

const REPLY_LIST: &str = "saved-replies";
pub(crate) const REPLY_SQL: [&str; 2] = [
    "SELECT id, title, body_zh, body_en, updated_by, updated_at, version FROM saved_replies
     ORDER BY title, id LIMIT $1",
    "SELECT id, title, body_zh, body_en, updated_by, updated_at, version FROM saved_replies
     WHERE (title, id) > ($1, $2) ORDER BY title, id LIMIT $3",
];

fn reply_of(r: &AnyRow) -> Result<StoredReply, StoreError> {
    let text = |c: &str| r.try_get::<String, _>(c);
    Ok(StoredReply {
        id: text("id")?,
        reply: SavedReply {
            title: text("title")?,
            body: redress_domain::Text::new(text("body_zh")?, text("body_en")?),
        },
        updated_by: text("updated_by")?,
        updated_at: from_ms(r.try_get("updated_at")?),
        version: r.try_get("version")?,
    })
}

impl Store {
    /// A page of the saved replies, by title.
    pub async fn saved_replies(&self, page: &PageRequest) -> Result<Page<StoredReply>, StoreError> {
        let after = page.after.as_ref().map(|c| c.key_for(REPLY_LIST, "tt")).transpose()?;
        let mut q = sqlx::query(REPLY_SQL[usize::from(after.is_some())]);
        if let Some(key) = after {
            q = bind_key(q, key);
        }
        let rows = q.bind(page.fetch()).fetch_all(&self.pool).await?;
        let items = rows.iter().map(reply_of).collect::<Result<Vec<_>, _>>()?;
        Ok(Page::of(items, page, REPLY_LIST, |r| {
            vec![KeyPart::Text(r.reply.title.clone()), KeyPart::Text(r.id.clone())]
        }))
    }

    /// One saved reply; `NotFound` if there is none.
    pub async fn saved_reply(&self, id: &str) -> Result<StoredReply, StoreError> {
        let row = sqlx::query(
            "SELECT id, title, body_zh, body_en, updated_by, updated_at, version FROM saved_replies WHERE id = $1",
        )
        .bind(id.to_owned())
        .fetch_optional(&self.pool)
        .await?;
        reply_of(&row.ok_or(StoreError::NotFound)?)
    }

    /// Keeps a new saved reply under `id`.
    pub async fn insert_saved_reply(
        &self,
        id: &str,
        reply: &SavedReply,
        by: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO saved_replies (id, title, body_zh, body_en, updated_by, updated_at, version)
             VALUES ($1, $2, $3, $4, $5, $6, 1)",
        )
        .bind(id.to_owned())
        .bind(reply.title.clone())
        .bind(reply.body.zh.clone())
        .bind(reply.body.en.clone())
        .bind(by.to_owned())
        .bind(ms(now))
        .execute(self.write_pool())
        .await?;
        Ok(())
    }

    /// Changes saved reply `id` if it is still at `version` (else `Conflict`; `NotFound` if
    /// there is none).
    pub async fn update_saved_reply(
        &self,
        id: &str,
        version: i64,
        reply: &SavedReply,
        by: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE saved_replies SET title = $1, body_zh = $2, body_en = $3, updated_by = $4, updated_at = $5,
                 version = version + 1
             WHERE id = $6 AND version = $7",
        )
        .bind(reply.title.clone())
        .bind(reply.body.zh.clone())
        .bind(reply.body.en.clone())
        .bind(by.to_owned())
        .bind(ms(now))
        .bind(id.to_owned())
        .bind(version)
        .execute(self.write_pool())
        .await?;
        if done.rows_affected() == 1 {
            return Ok(());
        }
        self.saved_reply(id).await.and(Err(StoreError::Conflict))
    }

    /// Deletes saved reply `id` (`NotFound` if there is none). Replies sent with it keep their
    /// words: a message is never changed.
    pub async fn delete_saved_reply(&self, id: &str) -> Result<(), StoreError> {
        let done = sqlx::query("DELETE FROM saved_replies WHERE id = $1")
            .bind(id.to_owned())
            .execute(self.write_pool())
            .await?;
        if done.rows_affected() == 1 { Ok(()) } else { Err(StoreError::NotFound) }
    }
}
