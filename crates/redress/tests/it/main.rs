//! Integration tests: the whole HTTP application on a random port, each test on its own
//! database. Every test runs on SQLite, and on PostgreSQL when `REDRESS_TEST_DATABASE_URL`
//! is set (with `REDRESS_REQUIRE_POSTGRES=1`, a missing URL fails instead of skipping).

mod helpers;

mod attachments;
mod audit;
mod authorization;
mod casefile;
mod concurrency;
mod errors;
mod evidence;
mod lifecycle;
mod limits;
mod mail;
mod mailbox;
mod merchant;
mod notifications;
mod openapi;
mod ops;
mod pages;
mod paging;
mod payouts;
mod tickets;
mod upgrade;
mod webhooks;
