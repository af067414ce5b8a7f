//! E-mail in the database (rules in `redress_domain::notify`): the mail job's two steps.
//! [`Store::route_mail`] decides each new notification's e-mail — none (no address, switched
//! off, or no SMTP server), a place in the e-mail about its application that is still waiting
//! to go, or a new e-mail, due at once or ten minutes after the last one about that
//! application — reading only what waits (a partial index on `mail_pending`).
//! [`Store::claim_due_mail`] takes due e-mails under the queues' lease (`crate::lease`), with
//! everything they carry. Once an e-mail has been taken for sending (`attempts > 0`) nothing
//! joins it: a notification routed meanwhile starts the next one, so what was sent is what
//! the e-mail's row says it carried, on every retry, under the same `Message-ID`.

use crate::db::WriteTx;
use crate::page::{KeyPart, Page, PageRequest, bind_key};
use crate::{Backend, Store, StoreError, from_ms, ms};
use jiff::{SignedDuration, Timestamp};
use redress_domain::ids::Subject;
use redress_domain::notify::{NoticeKind, mail_due, mail_id, mailed};
use sqlx::Row;

/// An e-mail to send, with what it tells.
#[derive(Debug, Clone)]
pub struct OutgoingMail {
    /// Also its `Message-ID`'s local part.
    pub id: String,
    pub recipient: String,
    pub display_name: String,
    /// The address now (the account's, as last set).
    pub address: Option<String>,
    pub locale: String,
    pub subject: Subject,
    /// How many times it has been taken for sending, this one included.
    pub attempts: u32,
    /// The notifications it carries, oldest first.
    pub notices: Vec<crate::Notification>,
}

/// An e-mail as its log shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailRecord {
    pub id: String,
    pub recipient: String,
    pub subject: String,
    /// pending, sent or failed
    pub state: String,
    pub attempts: i64,
    pub due_at: Timestamp,
    pub sent_at: Option<Timestamp>,
    /// When it last changed (for a failed one: when it failed).
    pub updated_at: Timestamp,
    /// The SMTP server's last answer when it was not accepted.
    pub error: Option<String>,
}

fn record_of(r: &sqlx::any::AnyRow) -> Result<MailRecord, StoreError> {
    Ok(MailRecord {
        id: r.try_get("id")?,
        recipient: r.try_get("recipient")?,
        subject: r.try_get("subject")?,
        state: r.try_get("state")?,
        attempts: r.try_get("attempts")?,
        due_at: from_ms(r.try_get("due_at")?),
        sent_at: r.try_get::<Option<i64>, _>("sent_at")?.map(from_ms),
        updated_at: from_ms(r.try_get("updated_at")?),
        error: r.try_get("error")?,
    })
}

/// The failed e-mails' list: its name in cursors, and its first and later pages, in the
/// index `emails_failed` (updated_at, id).
const FAILED_LIST: &str = "failed-mail";
pub(crate) const FAILED_SQL: [&str; 2] = [
    "SELECT id, recipient, subject, state, attempts, due_at, sent_at, updated_at, error FROM emails
     WHERE state = 'failed' ORDER BY updated_at DESC, id DESC LIMIT $1",
    "SELECT id, recipient, subject, state, attempts, due_at, sent_at, updated_at, error FROM emails
     WHERE state = 'failed' AND (updated_at, id) < ($1, $2) ORDER BY updated_at DESC, id DESC LIMIT $3",
];

/// What one routing pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Routed {
    /// Notifications put in an e-mail.
    pub mailed: usize,
    /// Notifications that are not e-mailed.
    pub not_mailed: usize,
}

const MAIL_COLUMNS: &str = "id, recipient, subject, attempts";

impl Store {
    /// Decides the e-mail of up to `limit` notifications that wait for it, oldest first
    /// (`smtp` is whether e-mail is on at all), in one transaction.
    pub async fn route_mail(&self, smtp: bool, now: Timestamp, limit: usize) -> Result<Routed, StoreError> {
        self.writing(move |s| async move {
            let mut tx = s.write().await?;
            let waiting = match s.backend() {
                Backend::Postgres => {
                    "SELECT n.id, n.recipient, n.subject, n.kind, n.created_at, u.email, u.optional_emails
                     FROM notifications n LEFT JOIN users u ON u.username = n.recipient
                     WHERE n.mail_pending = 1 ORDER BY n.created_at LIMIT $1 FOR UPDATE OF n SKIP LOCKED"
                }
                Backend::Sqlite => {
                    "SELECT n.id, n.recipient, n.subject, n.kind, n.created_at, u.email, u.optional_emails
                     FROM notifications n LEFT JOIN users u ON u.username = n.recipient
                     WHERE n.mail_pending = 1 ORDER BY n.created_at LIMIT $1"
                }
            };
            let rows = sqlx::query(waiting).bind(i64::try_from(limit).unwrap_or(i64::MAX)).fetch_all(&mut **tx).await?;
            let mut done = Routed::default();
            for r in &rows {
                let id: String = r.try_get("id")?;
                let kind = NoticeKind::parse(&r.try_get::<String, _>("kind")?)
                    .ok_or_else(|| StoreError::corrupt("notification kind"))?;
                let address: Option<String> = r.try_get("email")?;
                let optional_on = r.try_get::<Option<i64>, _>("optional_emails")?.unwrap_or(1) == 1;
                let at = from_ms(r.try_get("created_at")?);
                let email = if smtp && mailed(kind, at, now, address.as_deref(), optional_on) {
                    let (recipient, subject): (String, String) = (r.try_get("recipient")?, r.try_get("subject")?);
                    Some(email_for(&mut tx, &id, &recipient, &subject, now).await?)
                } else {
                    None
                };
                sqlx::query("UPDATE notifications SET mail_pending = 0, email_id = $1 WHERE id = $2")
                    .bind(email.clone())
                    .bind(&id)
                    .execute(&mut **tx)
                    .await?;
                if email.is_some() { done.mailed += 1 } else { done.not_mailed += 1 }
            }
            tx.commit().await?;
            Ok(done)
        })
        .await
    }

    /// Takes up to `limit` due e-mails for `lease` (the queues' claim), each with its
    /// recipient's address and language now and the notifications it carries.
    pub async fn claim_due_mail(
        &self,
        now: Timestamp,
        lease: SignedDuration,
        limit: usize,
    ) -> Result<Vec<OutgoingMail>, StoreError> {
        let claimed = self
            .writing(move |s| async move {
                let mut tx = s.write().await?;
                let queue = crate::lease::queue!("emails", "id", "state = 'pending'", MAIL_COLUMNS);
                let rows = crate::lease::claim_due(&s, &mut tx, &queue, &[], now, lease, limit).await?;
                let taken = rows
                    .iter()
                    .map(|r| {
                        Ok((
                            r.try_get::<String, _>("id")?,
                            r.try_get::<String, _>("recipient")?,
                            r.try_get::<String, _>("subject")?,
                            r.try_get::<i64, _>("attempts")?,
                        ))
                    })
                    .collect::<Result<Vec<_>, StoreError>>()?;
                tx.commit().await?;
                Ok(taken)
            })
            .await?;
        let mut out = Vec::with_capacity(claimed.len());
        for (id, recipient, subject, attempts) in claimed {
            let user = sqlx::query("SELECT display_name, email, locale FROM users WHERE username = $1")
                .bind(&recipient)
                .fetch_optional(&self.pool)
                .await?;
            let (display_name, address, locale) = match user {
                Some(u) => (u.try_get("display_name")?, u.try_get("email")?, u.try_get("locale")?),
                None => (recipient.clone(), None, "zh-CN".to_owned()),
            };
            let notices = sqlx::query(
                "SELECT id, recipient, audience, kind, subject, seq, amount_fen, created_at, read_at FROM notifications
                 WHERE email_id = $1 ORDER BY created_at, seq, id",
            )
            .bind(&id)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(crate::notifications::from_row)
            .collect::<Result<Vec<_>, _>>()?;
            out.push(OutgoingMail {
                id,
                recipient,
                display_name,
                address,
                locale,
                subject: Subject::parse(&subject).map_err(StoreError::corrupt)?,
                attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
                notices,
            });
        }
        Ok(out)
    }

    /// The e-mail `id` was accepted by the SMTP server.
    pub async fn mail_sent(&self, id: &str, now: Timestamp) -> Result<(), StoreError> {
        self.mail_outcome(id, "sent", None, None, now).await
    }

    /// The e-mail `id` cannot be delivered (`why`: the server's answer): not tried again.
    pub async fn mail_failed(&self, id: &str, why: &str, now: Timestamp) -> Result<(), StoreError> {
        self.mail_outcome(id, "failed", None, Some(why), now).await
    }

    /// The e-mail `id` failed for a passing reason (`why`): it is tried again at `at`.
    pub async fn mail_later(&self, id: &str, why: &str, at: Timestamp, now: Timestamp) -> Result<(), StoreError> {
        self.mail_outcome(id, "pending", Some(at), Some(why), now).await
    }

    /// Records what became of a pending e-mail: its state, when it is tried again, the server's
    /// answer, and when it was sent if it was.
    async fn mail_outcome(
        &self,
        id: &str,
        state: &'static str,
        retry_at: Option<Timestamp>,
        why: Option<&str>,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let (id, why) = (id.to_owned(), why.map(str::to_owned));
        self.writing(move |s| async move {
            sqlx::query(
                "UPDATE emails SET state = $1, error = $2, next_attempt_at = COALESCE($3, next_attempt_at),
                        sent_at = CASE WHEN $1 = 'sent' THEN CAST($4 AS BIGINT) END, updated_at = $4
                 WHERE id = $5 AND state = 'pending'",
            )
            .bind(state)
            .bind(why)
            .bind(retry_at.map(ms))
            .bind(ms(now))
            .bind(&id)
            .execute(s.write_pool())
            .await?;
            Ok(())
        })
        .await
    }

    /// The e-mails to `recipient`, newest first: what was sent, what waits, what failed and why.
    pub async fn mail_log(&self, recipient: &str, limit: u32) -> Result<Vec<MailRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, recipient, subject, state, attempts, due_at, sent_at, updated_at, error FROM emails
             WHERE recipient = $1 ORDER BY due_at DESC LIMIT $2",
        )
        .bind(recipient)
        .bind(i64::from(limit.min(crate::page::MAX_LIMIT)))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(record_of).collect()
    }

    /// A page of the e-mails that could not be delivered, the latest failure first (for
    /// administrators), with the server's answer.
    pub async fn failed_mail(&self, page: &PageRequest) -> Result<Page<MailRecord>, StoreError> {
        let after = page.after.as_ref().map(|c| c.key_for(FAILED_LIST, "it")).transpose()?;
        let mut q = sqlx::query(FAILED_SQL[usize::from(after.is_some())]);
        if let Some(key) = after {
            q = bind_key(q, key);
        }
        let rows = q.bind(page.fetch()).fetch_all(&self.pool).await?;
        let items = rows.iter().map(record_of).collect::<Result<Vec<_>, _>>()?;
        Ok(Page::of(items, page, FAILED_LIST, |m| vec![KeyPart::Int(ms(m.updated_at)), KeyPart::Text(m.id.clone())]))
    }
}

/// The e-mail notification `notice` goes in: the one about its application to its recipient
/// that has not been taken for sending yet, or a new one.
async fn email_for(
    tx: &mut WriteTx,
    notice: &str,
    recipient: &str,
    subject: &str,
    now: Timestamp,
) -> Result<String, StoreError> {
    let last = sqlx::query(
        "SELECT id, state, attempts, due_at FROM emails WHERE recipient = $1 AND subject = $2
         ORDER BY due_at DESC LIMIT 1",
    )
    .bind(recipient)
    .bind(subject)
    .fetch_optional(&mut ***tx)
    .await?;
    let mut last_due = None;
    if let Some(r) = last {
        let id: String = r.try_get("id")?;
        let open = r.try_get::<String, _>("state")? == "pending" && r.try_get::<i64, _>("attempts")? == 0;
        // Joining takes the e-mail's row, so a claim for sending waits or wins (then it has
        // been taken, and this starts the next one).
        if open {
            let joined = sqlx::query("UPDATE emails SET updated_at = $1 WHERE id = $2 AND attempts = 0")
                .bind(ms(now))
                .bind(&id)
                .execute(&mut ***tx)
                .await?;
            if joined.rows_affected() == 1 {
                return Ok(id);
            }
        }
        last_due = Some(from_ms(r.try_get("due_at")?));
    }
    let id = mail_id(notice);
    let due = mail_due(now, last_due);
    sqlx::query(
        "INSERT INTO emails (id, recipient, subject, state, attempts, due_at, next_attempt_at, created_at, updated_at)
         VALUES ($1, $2, $3, 'pending', 0, $4, $4, $5, $5)",
    )
    .bind(&id)
    .bind(recipient)
    .bind(subject)
    .bind(ms(due))
    .bind(ms(now))
    .execute(&mut ***tx)
    .await?;
    Ok(id)
}
