//! Every statement the store uses is prepared on both databases against the migrated schema,
//! so a misspelt column or a construct one backend lacks fails here, not in the one request
//! that happens to run it. The statements are the string literals passed to `sqlx::query…`
//! in the store's source (found by reading it) and every statement it builds (registered by
//! `built!`: `redress_store::sql::built_statements`). On PostgreSQL when
//! `REDRESS_TEST_DATABASE_URL` is set.

use redress_store::{Backend, Store};
use std::path::{Path, PathBuf};

/// A literal statement and where it is.
struct Literal {
    sql: String,
    at: String,
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read the source folder") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The Rust string literal at the start of `s` (`"…"` or `r"…"`/`r#"…"#`), unescaped.
fn literal(s: &str) -> Option<String> {
    if let Some(rest) = s.strip_prefix("r#\"") {
        return rest.find("\"#").map(|end| rest[..end].to_owned());
    }
    if let Some(rest) = s.strip_prefix("r\"") {
        return rest.find('"').map(|end| rest[..end].to_owned());
    }
    let rest = s.strip_prefix('"')?;
    let mut out = String::new();
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(out),
            '\\' => match chars.next()? {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                '\\' => out.push('\\'),
                '"' => out.push('"'),
                '\'' => out.push('\''),
                // A line continuation: the newline and the next line's leading blanks go.
                '\n' => {
                    let skipped: String = chars.clone().take_while(|c| c.is_whitespace()).collect();
                    for _ in skipped.chars() {
                        chars.next();
                    }
                }
                other => panic!("unexpected escape \\{other}"),
            },
            c => out.push(c),
        }
    }
    None
}

/// Every literal statement in the store's source, and every place that hands `sqlx::query…`
/// something that is neither a literal nor a registered statement.
fn literals() -> (Vec<Literal>, Vec<String>) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&root, &mut files);
    let (mut found, mut unregistered) = (Vec::new(), Vec::new());
    for file in files {
        let text = std::fs::read_to_string(&file).expect("read a source file");
        let name = file.strip_prefix(&root).unwrap_or(&file).display().to_string();
        for call in ["sqlx::query(", "sqlx::query_as(", "sqlx::query_scalar("] {
            for (i, _) in text.match_indices(call) {
                let at = format!("{name}:{}", text[..i].lines().count());
                let arg = text[i + call.len()..].trim_start();
                // Anything else is checked below: a registered statement, never one built here.
                if let Some(sql) = literal(arg) {
                    found.push(Literal { sql, at });
                }
            }
        }
        // Building a statement in place, unregistered: only the connection's own setup (a
        // schema name) and the hidden repair hook may.
        for (i, _) in text.match_indices("AssertSqlSafe(") {
            let at = format!("{name}:{}", text[..i].lines().count());
            let arg = &text[i + "AssertSqlSafe(".len()..];
            let allowed = [
                // The connection's setup: the schema a test works in.
                "create.as_str()",
                "set.as_str()",
                // `Store::execute_unchecked`, the hidden repair hook.
                "unchecked)",
                // Registered statics and the registering macros themselves.
                "chosen.as_str()",
                "held.as_str()",
                "due)",
                "q.claim)",
                "SAVE_APP",
                "INSERT_APP",
                "INSERT_EVENT",
                // The plan test (`list_plans.rs`): its seed, and EXPLAIN of registered lists.
                "*s)",
                "explain)",
                // A bulk INSERT of one of its table's registered sizes (`bulk.rs`).
                "sized)",
                // A bulk load's DROP and CREATE of an index, from the database's own catalog.
                "deferred)",
                "$crate::sql",
            ];
            if !allowed.iter().any(|a| arg.starts_with(a)) {
                unregistered.push(at);
            }
        }
    }
    (found, unregistered)
}

/// Whether a literal statement is PostgreSQL's only (its advisory locks and row locks).
fn postgres_only(sql: &str) -> bool {
    sql.contains("pg_") || sql.contains("FOR UPDATE")
}

async fn prepare_all(store: &Store, url: &str, schema: Option<&str>) {
    store.migrate().await.expect("migrate");
    let backend = store.backend();
    let (found, unregistered) = literals();
    assert!(unregistered.is_empty(), "statements built in place, not with built!: {unregistered:?}");
    assert!(found.len() > 40, "only {} literal statements found: is the scan still reading them?", found.len());
    let mut statements: Vec<(String, String)> = found
        .into_iter()
        .filter(|l| backend == Backend::Postgres || !postgres_only(&l.sql))
        .map(|l| (l.sql, l.at))
        .collect();
    let built = redress_store::sql::built_statements(backend);
    assert!(built.len() > 30, "only {} built statements registered", built.len());
    statements.extend(built.into_iter().map(|sql| (sql, "built!".to_owned())));
    sqlx::any::install_default_drivers();
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(url).await.expect("connect");
    if let Some(s) = schema {
        sqlx::Executor::execute(&mut conn, sqlx::AssertSqlSafe(format!("SET search_path TO \"{s}\"")))
            .await
            .expect("schema");
    }
    let mut failed = Vec::new();
    for (sql, at) in &statements {
        if let Err(e) =
            sqlx::Executor::prepare(&mut conn, sqlx::SqlSafeStr::into_sql_str(sqlx::AssertSqlSafe(sql.clone()))).await
        {
            failed.push(format!("{at}: {e}\n{sql}"));
        }
    }
    assert!(
        failed.is_empty(),
        "{backend:?}: {} of {} statements do not prepare:\n{}",
        failed.len(),
        statements.len(),
        failed.join("\n\n")
    );
}

#[tokio::test]
async fn every_statement_prepares_on_sqlite() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = Store::sqlite_url(dir.path());
    let store = Store::connect(&url, None).await.expect("sqlite");
    prepare_all(&store, &url, None).await;
}

#[tokio::test]
async fn every_statement_prepares_on_postgres() {
    let url = match std::env::var("REDRESS_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => {
            assert!(std::env::var("REDRESS_REQUIRE_POSTGRES").is_err(), "REDRESS_TEST_DATABASE_URL is not set");
            return;
        }
    };
    let schema = format!("t_st_{:016x}", rand::random::<u64>());
    let store = Store::connect(&url, Some(&schema)).await.expect("postgres");
    prepare_all(&store, &url, Some(&schema)).await;
}

#[test]
fn the_scan_reads_literals_as_the_compiler_does() {
    assert_eq!(literal(r#""SELECT 1" rest"#).as_deref(), Some("SELECT 1"));
    assert_eq!(literal("\"a \\\"b\\\" c\"").as_deref(), Some("a \"b\" c"));
    assert_eq!(literal("\"one \\\n      two\"").as_deref(), Some("one two"));
    assert_eq!(literal("r#\"x \"y\" z\"#").as_deref(), Some("x \"y\" z"));
    assert_eq!(literal("built!(\"x\")"), None);
}
