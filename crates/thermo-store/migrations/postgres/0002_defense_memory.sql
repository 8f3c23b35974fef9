-- The defense controller's memory per program, so hysteresis spans periodic checks.
CREATE TABLE defense_memory (
    program_id BIGINT PRIMARY KEY REFERENCES programs(id) ON DELETE CASCADE,
    memory JSONB NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
