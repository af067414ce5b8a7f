//! One HTTP attempt of a webhook, with the outbound rules: the address checked again when it
//! is called (an IP literal by its URL, a name by every address it resolves to, through the
//! client's own resolver, so the address checked is the address connected to), no proxy, no
//! redirect followed, 15 seconds in all, and at most 1 KB of the answer read.

use crate::target::{TargetError, check_url, resolve_host};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The most an attempt may take, connecting and answering.
pub const TIMEOUT: Duration = Duration::from_secs(15);
/// How much of an answer is read and kept.
pub const ANSWER_LIMIT: usize = 1024;

/// What an attempt got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The HTTP status, if the receiver answered.
    pub status: Option<u16>,
    pub latency: Duration,
    /// The answer's first [`ANSWER_LIMIT`] bytes, as text.
    pub body: String,
    /// Why there was no answer.
    pub error: Option<String>,
}

/// The headers of one attempt.
#[derive(Debug, Clone)]
pub struct Signed<'a> {
    pub id: &'a str,
    pub timestamp: i64,
    pub signature: String,
    pub body: &'a str,
}

/// The resolver that refuses names resolving inside a network.
struct Guard {
    allow_private: bool,
}

impl reqwest::dns::Resolve for Guard {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let (host, allow_private) = (name.as_str().to_owned(), self.allow_private);
        Box::pin(async move {
            let addrs = resolve_host(&host, 0, allow_private).await?;
            Ok(Box::new(addrs.into_iter()) as Box<dyn Iterator<Item = SocketAddr> + Send>)
        })
    }
}

/// Sends webhooks (one client, its connections reused).
#[derive(Clone)]
pub struct Sender {
    client: reqwest::Client,
    allow_private: bool,
}

impl Sender {
    /// A sender; `allow_private` lets it call `http://` and addresses inside networks
    /// (`REDRESS_WEBHOOK_ALLOW_PRIVATE`, for local receivers).
    pub fn new(allow_private: bool) -> Result<Sender, reqwest::Error> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(TIMEOUT)
            .connect_timeout(Duration::from_secs(5))
            .user_agent(concat!("Redress-Webhooks/", env!("CARGO_PKG_VERSION")))
            .dns_resolver(Arc::new(Guard { allow_private }))
            .build()?;
        Ok(Sender { client, allow_private })
    }

    pub fn allows_private(&self) -> bool {
        self.allow_private
    }

    /// Posts `m` to `url` once.
    pub async fn send(&self, url: &str, m: &Signed<'_>) -> Answer {
        let started = Instant::now();
        let failed = |error: String| Answer {
            status: None,
            latency: started.elapsed(),
            body: String::new(),
            error: Some(error),
        };
        let url = match check_url(url, self.allow_private) {
            Ok(u) => u,
            Err(e) => return failed(e.to_string()),
        };
        let sent = self
            .client
            .post(url)
            .header("content-type", "application/json")
            .header("webhook-id", m.id)
            .header("webhook-timestamp", m.timestamp.to_string())
            .header("webhook-signature", &m.signature)
            .body(m.body.to_owned())
            .send()
            .await;
        let mut response = match sent {
            Ok(r) => r,
            Err(e) => return failed(describe(&e)),
        };
        let status = response.status().as_u16();
        let mut body = Vec::new();
        while body.len() < ANSWER_LIMIT {
            match response.chunk().await {
                Ok(Some(chunk)) => body.extend_from_slice(&chunk[..chunk.len().min(ANSWER_LIMIT - body.len())]),
                Ok(None) | Err(_) => break,
            }
        }
        Answer {
            status: Some(status),
            latency: started.elapsed(),
            body: String::from_utf8_lossy(&body).into_owned(),
            error: None,
        }
    }
}

/// Why a request got no answer, in words an operator can act on (a refused address says so).
fn describe(e: &reqwest::Error) -> String {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if let Some(t) = s.downcast_ref::<TargetError>() {
            return t.to_string();
        }
        source = s.source();
    }
    if e.is_timeout() {
        format!("no answer within {} s", TIMEOUT.as_secs())
    } else if e.is_connect() {
        "could not connect".to_owned()
    } else {
        "the request failed".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signed() -> Signed<'static> {
        Signed { id: "msg_1", timestamp: 1, signature: "v1,x".into(), body: "{}" }
    }

    #[tokio::test]
    async fn inside_addresses_are_refused_before_any_connection() {
        let sender = Sender::new(false).expect("a client");
        for url in
            ["https://127.0.0.1:9/", "https://10.0.0.1/", "https://169.254.169.254/latest", "https://localhost:9/"]
        {
            let a = sender.send(url, &signed()).await;
            assert_eq!(a.status, None, "{url}");
            assert!(a.error.as_deref().is_some_and(|e| e.contains("private network")), "{url}: {:?}", a.error);
        }
        let a = sender.send("http://example.com/", &signed()).await;
        assert_eq!(a.error.as_deref(), Some("webhooks are sent over https:// only"));
    }

    #[tokio::test]
    async fn redirects_are_not_followed_and_answers_are_cut_at_1_kb() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let port = listener.local_addr().expect("an address").port();
        tokio::spawn(async move {
            for answer in [
                "HTTP/1.1 307 Temporary Redirect\r\nlocation: http://127.0.0.1:1/\r\ncontent-length: 0\r\n\r\n"
                    .to_owned(),
                format!("HTTP/1.1 200 OK\r\ncontent-length: 5000\r\n\r\n{}", "a".repeat(5000)),
            ] {
                let Ok((mut s, _)) = listener.accept().await else { return };
                let mut buf = vec![0u8; 8192];
                let _read = s.read(&mut buf).await;
                let _written = s.write_all(answer.as_bytes()).await;
            }
        });
        let sender = Sender::new(true).expect("a client");
        let url = format!("http://127.0.0.1:{port}/hook");
        let a = sender.send(&url, &signed()).await;
        assert_eq!(a.status, Some(307), "the redirect is the answer");
        let sender = Sender::new(true).expect("a client");
        let a = sender.send(&url, &signed()).await;
        assert_eq!((a.status, a.body.len()), (Some(200), ANSWER_LIMIT));
    }
}
