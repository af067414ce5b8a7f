//! Notifications in the database (who is told what: `redress_domain::notify`). They are
//! written in the transaction of what caused them ([`insert`], called where decisions are
//! applied), read by their recipient only, newest first, and marked read.

use crate::applications::row::AnyQuery;
use crate::db::WriteTx;
use crate::page::{KeyPart, Page, PageRequest, bind_key};
use crate::{Store, StoreError, from_ms, ms};
use jiff::Timestamp;
use redress_domain::ids::Subject;
use redress_domain::money::Fen;
use redress_domain::notify::{Audience, Notice, NoticeKind};
use sqlx::Row;
use sqlx::any::AnyRow;

/// A notification as its recipient sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub notice: Notice,
    pub read_at: Option<Timestamp>,
}

/// The columns of a notification, as [`bind_notice`] binds them: the merchant's wait for
/// their webhook message, the others for their e-mail.
pub(crate) const NOTICE_COLUMNS: &str =
    "id, recipient, audience, kind, subject, seq, amount_fen, created_at, mail_pending, hook_pending";

/// How many columns [`bind_notice`] binds.
pub(crate) const NOTICE_PARAMS: usize = 10;

/// The list's name in its cursors.
const LIST: &str = "notifications";

/// A recipient's notifications, newest first, in the index on (recipient, created_at, id):
/// the first page (`$1` recipient, `$2` limit), and a page after a cursor (`$2`, `$3` its key,
/// `$4` the limit).
pub(crate) const LIST_SQL: [&str; 2] = [
    "SELECT id, recipient, audience, kind, subject, seq, amount_fen, created_at, read_at FROM notifications
     WHERE recipient = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
    "SELECT id, recipient, audience, kind, subject, seq, amount_fen, created_at, read_at FROM notifications
     WHERE recipient = $1 AND (created_at, id) < ($2, $3) ORDER BY created_at DESC, id DESC LIMIT $4",
];

/// Binds a notice in [`NOTICE_COLUMNS`] order.
pub(crate) fn bind_notice<'q>(q: AnyQuery<'q>, n: &Notice) -> AnyQuery<'q> {
    q.bind(n.id.clone())
        .bind(n.recipient.clone())
        .bind(n.audience.as_str())
        .bind(n.kind.as_str())
        .bind(n.subject.to_string())
        .bind(n.seq)
        .bind(n.amount.map(|a| a.0))
        .bind(ms(n.at))
        .bind(i64::from(n.audience != Audience::Merchant))
        .bind(i64::from(n.audience == Audience::Merchant))
}

/// Writes `notices` in `tx`; one already written (the same cause, the same person) is kept.
pub(crate) async fn insert(tx: &mut WriteTx, notices: &[Notice]) -> Result<(), StoreError> {
    for n in notices {
        bind_notice(
            sqlx::query(
                "INSERT INTO notifications (id, recipient, audience, kind, subject, seq, amount_fen, created_at,
                                            mail_pending, hook_pending)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (id) DO NOTHING",
            ),
            n,
        )
        .execute(&mut ***tx)
        .await?;
    }
    Ok(())
}

pub(crate) fn from_row(r: &AnyRow) -> Result<Notification, StoreError> {
    let text = |c: &str| r.try_get::<String, _>(c);
    let notice = Notice {
        id: text("id")?,
        kind: NoticeKind::parse(&text("kind")?).ok_or_else(|| StoreError::corrupt("notification kind"))?,
        audience: Audience::parse(&text("audience")?).ok_or_else(|| StoreError::corrupt("notification audience"))?,
        recipient: text("recipient")?,
        subject: Subject::parse(&text("subject")?).map_err(StoreError::corrupt)?,
        seq: r.try_get("seq")?,
        amount: r.try_get::<Option<i64>, _>("amount_fen")?.map(Fen),
        at: from_ms(r.try_get("created_at")?),
    };
    Ok(Notification { notice, read_at: r.try_get::<Option<i64>, _>("read_at")?.map(from_ms) })
}

/// The administrators' usernames, read on `db` (the pool, or a transaction that tells them).
pub(crate) async fn admins_on<'e>(
    db: impl sqlx::Executor<'e, Database = sqlx::Any>,
) -> Result<Vec<String>, StoreError> {
    let rows = sqlx::query("SELECT username FROM users WHERE role = $1 ORDER BY username")
        .bind(redress_domain::application::Role::Admin.as_str())
        .fetch_all(db)
        .await?;
    rows.iter().map(|r| Ok(r.try_get("username")?)).collect()
}

/// Unread counts shown as "99+" past this: counting stops there.
pub const UNREAD_CAP: i64 = 100;

impl Store {
    /// A page of `recipient`'s notifications, newest first.
    pub async fn notifications_of(
        &self,
        recipient: &str,
        page: &PageRequest,
    ) -> Result<Page<Notification>, StoreError> {
        let after = page.after.as_ref().map(|c| c.key_for(LIST, "it")).transpose()?;
        let mut q = sqlx::query(LIST_SQL[usize::from(after.is_some())]).bind(recipient.to_owned());
        if let Some(key) = after {
            q = bind_key(q, key);
        }
        let rows = q.bind(page.fetch()).fetch_all(&self.pool).await?;
        let items = rows.iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
        Ok(Page::of(items, page, LIST, |n| vec![KeyPart::Int(ms(n.notice.at)), KeyPart::Text(n.notice.id.clone())]))
    }

    /// How many of `recipient`'s notifications are unread, counted up to [`UNREAD_CAP`].
    pub async fn unread_count(&self, recipient: &str) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM (SELECT 1 AS one FROM notifications
               WHERE recipient = $1 AND read_at IS NULL LIMIT $2) AS unread",
        )
        .bind(recipient.to_owned())
        .bind(UNREAD_CAP)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get("n")?)
    }

    /// Marks `recipient`'s notification `id` read (again: no change). `NotFound` if they have
    /// no such notification — another person's is not theirs to mark.
    pub async fn mark_read(&self, recipient: &str, id: &str, now: Timestamp) -> Result<Notification, StoreError> {
        let (recipient, id) = (recipient.to_owned(), id.to_owned());
        self.grouped(move |tx| {
            Box::pin(async move {
                let row = sqlx::query(
                    "UPDATE notifications SET read_at = COALESCE(read_at, $1) WHERE id = $2 AND recipient = $3
                     RETURNING id, recipient, audience, kind, subject, seq, amount_fen, created_at, read_at",
                )
                .bind(ms(now))
                .bind(&id)
                .bind(&recipient)
                .fetch_optional(&mut ***tx)
                .await?;
                from_row(&row.ok_or(StoreError::NotFound)?)
            })
        })
        .await
    }

    /// Marks every unread notification of `recipient` read; how many were.
    pub async fn mark_all_read(&self, recipient: &str, now: Timestamp) -> Result<u64, StoreError> {
        let recipient = recipient.to_owned();
        self.grouped(move |tx| {
            Box::pin(async move {
                let done =
                    sqlx::query("UPDATE notifications SET read_at = $1 WHERE recipient = $2 AND read_at IS NULL")
                        .bind(ms(now))
                        .bind(&recipient)
                        .execute(&mut ***tx)
                        .await?;
                Ok(done.rows_affected())
            })
        })
        .await
    }

    /// The administrators' usernames (told of what concerns the whole platform).
    pub async fn admins(&self) -> Result<Vec<String>, StoreError> {
        admins_on(&self.pool).await
    }

    /// Writes notifications that no decision carries (a reconciliation's finding), each once.
    pub async fn notify(&self, notices: Vec<Notice>) -> Result<(), StoreError> {
        self.grouped(move |tx| Box::pin(async move { insert(tx, &notices).await })).await
    }
}
