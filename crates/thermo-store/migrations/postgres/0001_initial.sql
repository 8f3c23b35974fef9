-- Thermo Resilience schema, PostgreSQL dialect. Timestamps are timestamptz (UTC).
CREATE TABLE programs (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE schedule_snapshots (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    program_id BIGINT NOT NULL REFERENCES programs(id) ON DELETE CASCADE,
    version BIGINT NOT NULL,
    content_hash TEXT NOT NULL,
    bundle JSONB NOT NULL,
    people BIGINT NOT NULL,
    assignments BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    UNIQUE (program_id, version)
);
CREATE INDEX idx_snapshots_hash ON schedule_snapshots(program_id, content_hash);

CREATE TABLE metric_samples (
    program_id BIGINT NOT NULL REFERENCES programs(id) ON DELETE CASCADE,
    metric TEXT NOT NULL,
    timestamp TIMESTAMPTZ NOT NULL,
    value DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (program_id, metric, timestamp)
);

CREATE TABLE events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    program_id BIGINT NOT NULL REFERENCES programs(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('swap', 'absence')),
    payload JSONB NOT NULL,
    received_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX idx_events_program ON events(program_id, id);

CREATE TABLE idempotency_keys (
    program_id BIGINT NOT NULL REFERENCES programs(id) ON DELETE CASCADE,
    idempotency_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    response JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (program_id, idempotency_key)
);

CREATE TABLE health_snapshots (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    program_id BIGINT NOT NULL REFERENCES programs(id) ON DELETE CASCADE,
    computed_at TIMESTAMPTZ NOT NULL,
    analysis_date DATE NOT NULL,
    schedule_version BIGINT NOT NULL,
    triggered_by TEXT NOT NULL,
    report JSONB NOT NULL
);
CREATE INDEX idx_health_program_time ON health_snapshots(program_id, computed_at);

CREATE TABLE thermodynamic_metrics (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    program_id BIGINT NOT NULL REFERENCES programs(id) ON DELETE CASCADE,
    health_snapshot_id BIGINT REFERENCES health_snapshots(id) ON DELETE SET NULL,
    timestamp TIMESTAMPTZ NOT NULL,
    person_entropy DOUBLE PRECISION,
    rotation_entropy DOUBLE PRECISION,
    time_entropy DOUBLE PRECISION,
    joint_entropy DOUBLE PRECISION,
    mutual_information DOUBLE PRECISION,
    normalized_entropy DOUBLE PRECISION,
    entropy_production_rate DOUBLE PRECISION,
    free_energy DOUBLE PRECISION,
    internal_energy DOUBLE PRECISION,
    effective_temperature DOUBLE PRECISION,
    phase_transition_severity TEXT,
    time_to_transition DOUBLE PRECISION,
    confidence DOUBLE PRECISION,
    computed_by TEXT NOT NULL,
    notes TEXT
);
CREATE INDEX idx_thermodynamic_timestamp ON thermodynamic_metrics(program_id, timestamp);

CREATE TABLE phase_transition_signals (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    metric_id BIGINT NOT NULL REFERENCES thermodynamic_metrics(id) ON DELETE CASCADE,
    detected_at TIMESTAMPTZ NOT NULL,
    signal_type TEXT NOT NULL,
    metric_name TEXT NOT NULL,
    severity TEXT NOT NULL,
    value DOUBLE PRECISION,
    threshold DOUBLE PRECISION,
    description TEXT NOT NULL
);
CREATE INDEX idx_signals_metric ON phase_transition_signals(metric_id);
CREATE INDEX idx_signals_severity ON phase_transition_signals(severity);

CREATE TABLE transport_metrics (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    program_id BIGINT NOT NULL REFERENCES programs(id) ON DELETE CASCADE,
    health_snapshot_id BIGINT REFERENCES health_snapshots(id) ON DELETE SET NULL,
    timestamp TIMESTAMPTZ NOT NULL,
    saturation_gradient DOUBLE PRECISION,
    peclet_number DOUBLE PRECISION,
    boundary_layer_thickness DOUBLE PRECISION,
    time_to_saturation_minutes DOUBLE PRECISION,
    effective_diffusion DOUBLE PRECISION
);
CREATE INDEX idx_transport_timestamp ON transport_metrics(program_id, timestamp);

CREATE TABLE alerts (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    program_id BIGINT NOT NULL REFERENCES programs(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    severity TEXT NOT NULL,
    title TEXT NOT NULL,
    message TEXT NOT NULL,
    details JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX idx_alerts_program_kind ON alerts(program_id, kind, created_at);

CREATE TABLE alert_deliveries (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    alert_id BIGINT NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
    webhook_url TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts BIGINT NOT NULL,
    last_error TEXT,
    next_attempt_at TIMESTAMPTZ,
    delivered_at TIMESTAMPTZ,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX idx_deliveries_due ON alert_deliveries(status, next_attempt_at);

CREATE TABLE job_runs (
    job TEXT NOT NULL,
    program_id BIGINT NOT NULL REFERENCES programs(id) ON DELETE CASCADE,
    tick TIMESTAMPTZ NOT NULL,
    node TEXT NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    status TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
    error TEXT,
    PRIMARY KEY (job, program_id, tick)
);
