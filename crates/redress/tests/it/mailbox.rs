//! A local SMTP sink for the e-mail tests: aiosmtpd (installed by `scripts/install-test-tools`
//! in `target/fuzz-venv`) writing every message it accepts into a Maildir.

use std::path::PathBuf;

pub struct Mailbox {
    child: Option<tokio::process::Child>,
    dir: tempfile::TempDir,
    pub port: u16,
}

/// The Python that has aiosmtpd, if it is installed.
fn python() -> Option<PathBuf> {
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/fuzz-venv/bin/python");
    let ok = std::process::Command::new(&venv).args(["-c", "import aiosmtpd"]).status().is_ok_and(|s| s.success());
    ok.then_some(venv)
}

/// One message as a reader sees it.
pub struct Received {
    pub to: String,
    pub subject: String,
    pub message_id: String,
    pub plain: String,
    pub html: String,
}

impl Mailbox {
    /// A sink on a free port; `None` when aiosmtpd is not installed (a failure instead with
    /// `REDRESS_REQUIRE_SMTP=1`, as in CI).
    pub async fn start() -> Option<Mailbox> {
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port").local_addr().expect("addr").port();
        let dir = tempfile::tempdir().expect("maildir");
        let mut mailbox = Mailbox { child: None, dir, port };
        if !mailbox.resume().await {
            assert!(
                std::env::var("REDRESS_REQUIRE_SMTP").is_err(),
                "REDRESS_REQUIRE_SMTP is set but aiosmtpd is not installed: run scripts/install-test-tools"
            );
            eprintln!("aiosmtpd is not installed (scripts/install-test-tools): e-mail test skipped");
            return None;
        }
        Some(mailbox)
    }

    /// `smtp://…?tls=none` of this sink.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}?tls=none", self.port)
    }

    /// Starts (again) on the same port and folder; whether it could.
    pub async fn resume(&mut self) -> bool {
        let Some(python) = python() else { return false };
        let child = tokio::process::Command::new(python)
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{}", self.port),
                "-c",
                "aiosmtpd.handlers.Mailbox",
            ])
            .arg(self.dir.path().join("maildir"))
            .kill_on_drop(true)
            .spawn()
            .expect("aiosmtpd starts");
        self.child = Some(child);
        // Ready once it accepts a connection.
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port)).await.is_ok() {
                return true;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        panic!("aiosmtpd did not start on port {}", self.port);
    }

    /// Stops it: the next delivery finds no server.
    pub async fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().await.expect("stopped");
        }
    }

    /// Every message received so far, oldest first.
    pub fn received(&self) -> Vec<Received> {
        let new = self.dir.path().join("maildir/new");
        let mut files: Vec<_> =
            std::fs::read_dir(&new).map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect()).unwrap_or_default();
        files.sort_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
        files
            .iter()
            .map(|path| {
                let bytes = std::fs::read(path).expect("a message");
                let m = mail_parser::MessageParser::default().parse(&bytes).expect("parses");
                let addr = m.to().and_then(|a| a.first()).and_then(|a| a.address()).unwrap_or_default().to_owned();
                Received {
                    to: addr,
                    subject: m.subject().unwrap_or_default().to_owned(),
                    message_id: m.message_id().unwrap_or_default().to_owned(),
                    plain: m.body_text(0).map(|t| t.into_owned()).unwrap_or_default(),
                    html: m.body_html(0).map(|t| t.into_owned()).unwrap_or_default(),
                }
            })
            .collect()
    }
}
