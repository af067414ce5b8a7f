//! E-mail: a notification e-mail composed in its reader's language — plain text and HTML
//! from one template context (`templates/mail/`), the application's number in the subject, a
//! link to it on the public address in both parts — and sent over SMTP (lettre). What people
//! typed (a display name) is encoded in headers by lettre and escaped in HTML by askama;
//! control characters are taken out of header text first.

use crate::dto::{notice_link, notice_text};
use crate::i18n::{Lang, zoned_time};
use askama::Template;
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use redress_app::{MailOutcome, OutgoingMail};
use std::time::Duration;

/// How Redress reaches its SMTP server.
#[derive(Debug, Clone)]
pub struct MailSettings {
    /// `smtp://host[:port]` (STARTTLS, required), `smtps://host[:port]` (TLS from the first
    /// byte), or `smtp://host[:port]?tls=none` (a local relay); user and password may be in
    /// the URL.
    pub url: String,
    /// The password, when it is kept in a file rather than the URL.
    pub password: Option<String>,
    /// The sender, `Name <address>` or an address.
    pub from: String,
}

/// What an SMTP server made of one e-mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sent {
    Accepted,
    /// Not now (a 4xx answer, no connection, a timeout): try again later.
    Later(String),
    /// Never (a 5xx answer, an address that is not one): recorded, not tried again.
    Refused(String),
}

/// Composes and sends notification e-mails.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    public_url: String,
    /// The domain of `Message-ID`s: the sender's.
    domain: String,
}

#[derive(Template)]
#[template(path = "mail/notice.txt")]
struct PlainMail<'a> {
    m: &'a MailView,
}

#[derive(Template)]
#[template(path = "mail/notice.html")]
struct HtmlMail<'a> {
    m: &'a MailView,
}

/// The one context both parts are made from.
struct MailView {
    lang: Lang,
    greeting: String,
    intro: String,
    lines: Vec<(String, String)>,
    link: String,
    link_label: String,
    footer: String,
}

/// Header text without control characters (no line breaks can reach a header).
fn header_text(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect::<String>().trim().to_owned()
}

impl Mailer {
    /// A mailer for the server `s` names, linking to `public_url`. Made on a Tokio runtime:
    /// its pool of SMTP connections runs there.
    pub fn new(s: &MailSettings, public_url: &str) -> Result<Mailer, String> {
        let url = reqwest::Url::parse(&s.url).map_err(|e| format!("smtp_url: {e}"))?;
        let host = url.host_str().filter(|h| !h.is_empty()).ok_or("smtp_url: no host")?.to_owned();
        let tls_none = url.query_pairs().any(|(k, v)| k == "tls" && v == "none");
        let mut builder = match (url.scheme(), tls_none) {
            ("smtps", false) => AsyncSmtpTransport::<Tokio1Executor>::relay(&host).map_err(|e| e.to_string())?,
            ("smtp", false) => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&host).map_err(|e| e.to_string())?
            }
            ("smtp", true) => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&host),
            (scheme, _) => return Err(format!("smtp_url: {scheme}:// is not smtp:// or smtps://")),
        };
        if let Some(port) = url.port() {
            builder = builder.port(port);
        }
        let user = percent_encoding::percent_decode_str(url.username()).decode_utf8_lossy().into_owned();
        let password = s.password.clone().or_else(|| {
            url.password().map(|p| percent_encoding::percent_decode_str(p).decode_utf8_lossy().into_owned())
        });
        if !user.is_empty() {
            builder = builder.credentials(Credentials::new(user, password.unwrap_or_default()));
        }
        let from: Mailbox = s.from.parse().map_err(|e| format!("smtp_from {}: {e}", s.from))?;
        let domain = from.email.domain().to_owned();
        Ok(Mailer {
            transport: builder.timeout(Some(Duration::from_secs(30))).build(),
            from,
            public_url: public_url.trim_end_matches('/').to_owned(),
            domain,
        })
    }

    /// The e-mail of `m`, in its reader's language; `None` if the reader has no address
    /// Redress can write to.
    pub fn compose(&self, m: &OutgoingMail) -> Result<Message, Sent> {
        let lang = Lang::from_tag(&m.locale).unwrap_or_default();
        let address = m.address.as_deref().ok_or_else(|| Sent::Refused("no e-mail address".into()))?;
        let to = Mailbox::new(
            Some(header_text(&m.display_name)).filter(|n| !n.is_empty()),
            address.trim().parse().map_err(|e| Sent::Refused(format!("{address}: {e}")))?,
        );
        let no = m.subject.to_string();
        let ticket = m.subject.application().is_none();
        let first = m.notices.first().map(|n| notice_link(&n.notice)).unwrap_or_else(|| format!("/applications/{no}"));
        let view = MailView {
            lang,
            greeting: lang.t_args("mail-greeting", &[("name", header_text(&m.display_name))]),
            intro: lang.t_args(if ticket { "mail-intro-ticket" } else { "mail-intro" }, &[("no", no.clone())]),
            lines: m.notices.iter().map(|n| (zoned_time(&n.notice.at, lang), notice_text(&n.notice, lang))).collect(),
            link: format!("{}{first}", self.public_url),
            link_label: lang.t("mail-open"),
            footer: lang.t("mail-footer"),
        };
        let render = |r: Result<String, askama::Error>| r.map_err(|e| Sent::Later(format!("template: {e}")));
        let plain = render(PlainMail { m: &view }.render())?;
        let html = render(HtmlMail { m: &view }.render())?;
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(header_text(
                &lang.t_args(if ticket { "mail-subject-ticket" } else { "mail-subject" }, &[("no", no)]),
            ))
            .message_id(Some(format!("<{}@{}>", m.id, self.domain)))
            .multipart(MultiPart::alternative_plain_html(plain, html))
            .map_err(|e| Sent::Refused(e.to_string()))
    }

    /// Hands `m` to the SMTP server.
    pub async fn send(&self, m: &OutgoingMail) -> Sent {
        let message = match self.compose(m) {
            Ok(message) => message,
            Err(failed) => return failed,
        };
        match self.transport.send(message).await {
            Ok(_) => Sent::Accepted,
            Err(e) if e.is_permanent() => Sent::Refused(e.to_string()),
            Err(e) => Sent::Later(e.to_string()),
        }
    }
}

/// One pass of the mail job on `app`: decides the e-mail of up to `route` new notifications
/// (none without a `mailer`), then sends up to `send` due e-mails and records each outcome.
/// How many notifications and e-mails it handled.
pub async fn deliver(
    app: &redress_app::App,
    mailer: Option<&Mailer>,
    route: usize,
    send: usize,
) -> Result<usize, redress_app::Error> {
    let routed = app.route_mail(mailer.is_some(), route).await?;
    let Some(mailer) = mailer else { return Ok(routed.not_mailed) };
    let due = app.claim_due_mail(send).await?;
    // Sent at once, over the transport's pool of connections.
    let sent = due.iter().map(|m| async move {
        let outcome = match mailer.send(m).await {
            Sent::Accepted => MailOutcome::Accepted,
            Sent::Later(why) => {
                tracing::warn!(mail = %m.id, error = %why, "e-mail not sent; trying again later");
                MailOutcome::Later(why)
            }
            Sent::Refused(why) => {
                tracing::warn!(mail = %m.id, error = %why, "e-mail refused; not trying again");
                MailOutcome::Refused(why)
            }
        };
        app.mail_done(m, outcome).await
    });
    for done in futures_util::future::join_all(sent).await {
        done?;
    }
    Ok(routed.mailed + routed.not_mailed + due.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use redress_domain::ids::ApplicationNo;
    use redress_domain::money::Fen;
    use redress_domain::notify::{Audience, Notice, NoticeKind};

    fn mail(name: &str, locale: &str) -> OutgoingMail {
        let no = ApplicationNo::parse("RF-20261201-ABC123").expect("a number");
        let notice = |kind, seq| redress_app::Notification {
            notice: Notice {
                id: format!("NT-{seq}"),
                kind,
                audience: Audience::Buyer,
                recipient: "lin".into(),
                subject: no.clone().into(),
                seq,
                amount: Some(Fen(2000)),
                at: "2026-12-01T06:30:00Z".parse().expect("a time"),
            },
            read_at: None,
        };
        OutgoingMail {
            id: "EM-0123456789abcdef01234567".into(),
            recipient: "lin".into(),
            display_name: name.into(),
            address: Some("lin@example.com".into()),
            locale: locale.into(),
            subject: no.clone().into(),
            attempts: 1,
            notices: vec![notice(NoticeKind::InReview, 2), notice(NoticeKind::Approved, 3)],
        }
    }

    fn mailer() -> Mailer {
        let s = MailSettings {
            url: "smtp://127.0.0.1:2525?tls=none".into(),
            password: None,
            from: "Redress <refunds@example.com>".into(),
        };
        Mailer::new(&s, "https://refunds.example.com/").expect("a mailer")
    }

    /// The message as sent, and as a mail reader decodes it: (raw, subject, plain, html).
    fn read(m: &OutgoingMail) -> (String, String, String, String) {
        let raw = mailer().compose(m).expect("composed").formatted();
        let parsed = mail_parser::MessageParser::default().parse(&raw).expect("a message");
        let part = |p: Option<std::borrow::Cow<'_, str>>| p.map(|t| t.into_owned()).unwrap_or_default();
        (
            String::from_utf8_lossy(&raw).into_owned(),
            parsed.subject().unwrap_or_default().to_owned(),
            part(parsed.body_text(0)),
            part(parsed.body_html(0)),
        )
    }

    // The transport's connection pool runs on the runtime.
    #[tokio::test]
    async fn an_e_mail_has_both_parts_the_number_the_link_and_a_stable_id() {
        let (raw, subject, plain, html) = read(&mail("林", "zh-CN"));
        assert!(raw.contains("Message-ID: <EM-0123456789abcdef01234567@example.com>"), "{raw}");
        assert!(raw.contains("multipart/alternative"), "{raw}");
        assert_eq!(subject, "退款申请 RF-20261201-ABC123 有新进展");
        let link = "https://refunds.example.com/applications/RF-20261201-ABC123";
        for part in [&plain, &html] {
            assert!(part.contains(link) && part.contains("已通过") && part.contains("¥20.00"), "{part}");
            assert!(part.contains("2026-12-01 14:30（北京时间）") && part.contains("林，你好"), "{part}");
        }
        let (_, subject, plain, _) = read(&mail("Emma", "en"));
        assert_eq!(subject, "Your refund application RF-20261201-ABC123: news");
        assert!(plain.contains("was approved") && plain.contains("(Beijing time)") && plain.contains(link), "{plain}");
    }

    #[tokio::test]
    async fn what_a_person_typed_cannot_add_headers_or_markup() {
        let hostile = "Eve\r\nBcc: all@example.com <script>alert(1)</script>";
        let (raw, _, plain, html) = read(&mail(hostile, "en"));
        let headers = raw.split("\r\n\r\n").next().unwrap_or_default();
        assert!(!headers.lines().any(|l| l.to_ascii_lowercase().starts_with("bcc:")), "{headers}");
        assert!(!html.contains("<script>") && html.contains("&#60;script&#62;"), "{html}");
        assert!(plain.contains("Hello Eve"), "the plain part says it as typed: {plain}");
    }

    #[tokio::test]
    async fn a_reader_without_an_address_is_refused_not_retried() {
        let mut m = mail("林", "zh-CN");
        m.address = None;
        assert!(matches!(mailer().compose(&m), Err(Sent::Refused(_))));
        m.address = Some("not an address".into());
        assert!(matches!(mailer().compose(&m), Err(Sent::Refused(_))));
    }

    #[tokio::test]
    async fn only_smtp_urls_are_taken() {
        let bad = |url: &str| MailSettings { url: url.into(), password: None, from: "a@example.com".into() };
        assert!(Mailer::new(&bad("http://mail.example.com"), "/").is_err());
        assert!(Mailer::new(&bad("smtp://"), "/").is_err());
        assert!(Mailer::new(&bad("smtps://user:pw@mail.example.com:465"), "/").is_ok());
        assert!(Mailer::new(&bad("smtp://mail.example.com"), "/").is_ok());
    }
}
