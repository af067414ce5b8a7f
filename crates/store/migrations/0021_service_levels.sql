-- The service levels of support (rules in crates/domain/src/service_levels.rs), one row per
-- published version, never changed: the body (the TOML that was published), who published
-- it, when and why. The highest version is in force; none means the shipped levels.
CREATE TABLE service_levels (
    version      BIGINT PRIMARY KEY,
    body         TEXT NOT NULL,
    published_by TEXT NOT NULL,
    note         TEXT NOT NULL,
    published_at BIGINT NOT NULL
);
