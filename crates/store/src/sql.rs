//! The statements the store builds from its column lists and the domain's state lists. Each
//! is written with [`built!`] (or [`sql_text!`]) where it is used: formatted once, the first
//! time it runs, and registered, so that a test can prepare every statement the store uses on
//! both databases (`tests/statements.rs`, which finds the literal ones in the source). A
//! statement only one backend understands says so (`built!(postgres: …)`); one that differs
//! by backend or shape is one `built!` per variant.

use crate::Backend;

/// A registered statement: every text it can take, and the one backend it is for, if only one.
pub struct Built {
    pub only: Option<Backend>,
    pub texts: fn() -> Vec<String>,
}

inventory::collect!(Built);

/// Every statement the store builds that `backend` runs.
pub fn built_statements(backend: Backend) -> Vec<String> {
    inventory::iter::<Built>
        .into_iter()
        .filter(|b| b.only.is_none_or(|only| only == backend))
        .flat_map(|b| (b.texts)())
        .collect()
}

/// `sql_text!("SELECT {COLUMNS} FROM …")`: the statement's `&'static str`, formatted once
/// from constants (never from a request's values: those are bound), and registered;
/// `sql_text!(postgres: …)` or `(sqlite: …)` for one backend only.
macro_rules! sql_text {
    (@ $only:expr, $($fmt:tt)+) => {{
        static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| format!($($fmt)+));
        inventory::submit! { $crate::sql::Built { only: $only, texts: || vec![SQL.clone()] } }
        SQL.as_str()
    }};
    (postgres: $($fmt:tt)+) => { $crate::sql::sql_text!(@ Some($crate::Backend::Postgres), $($fmt)+) };
    (sqlite: $($fmt:tt)+) => { $crate::sql::sql_text!(@ Some($crate::Backend::Sqlite), $($fmt)+) };
    ($($fmt:tt)+) => { $crate::sql::sql_text!(@ None, $($fmt)+) };
}
pub(crate) use sql_text;

/// [`sql_text!`], ready for `sqlx::query`.
macro_rules! built {
    ($($fmt:tt)+) => {
        sqlx::AssertSqlSafe($crate::sql::sql_text!($($fmt)+))
    };
}
pub(crate) use built;
