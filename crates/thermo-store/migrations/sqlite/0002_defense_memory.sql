-- The defense controller's memory per program, so hysteresis spans periodic checks.
CREATE TABLE defense_memory (
    program_id INTEGER PRIMARY KEY REFERENCES programs(id) ON DELETE CASCADE,
    memory TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
