-- A bulk load (the history generator, an import) drops the secondary indexes of the tables it
-- fills and builds each once at the end: one sorted build instead of millions of inserts at
-- random places. Their definitions wait here meanwhile, so a load that is interrupted leaves
-- them to be built by the next `migrate` (every `serve` runs one), never lost.
CREATE TABLE bulk_deferred_indexes (
    name       TEXT PRIMARY KEY,
    definition TEXT NOT NULL
);
