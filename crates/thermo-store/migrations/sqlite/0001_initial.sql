-- Thermo Resilience schema, SQLite dialect. Timestamps are UTC RFC 3339 text.
CREATE TABLE programs (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);

CREATE TABLE schedule_snapshots (
    id INTEGER PRIMARY KEY,
    program_id INTEGER NOT NULL REFERENCES programs(id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    content_hash TEXT NOT NULL,
    bundle TEXT NOT NULL,
    people INTEGER NOT NULL,
    assignments INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (program_id, version)
);
CREATE INDEX idx_snapshots_hash ON schedule_snapshots(program_id, content_hash);

CREATE TABLE metric_samples (
    program_id INTEGER NOT NULL REFERENCES programs(id) ON DELETE CASCADE,
    metric TEXT NOT NULL,
    timestamp TEXT NOT NULL,
    value REAL NOT NULL,
    PRIMARY KEY (program_id, metric, timestamp)
) WITHOUT ROWID;

CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    program_id INTEGER NOT NULL REFERENCES programs(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('swap', 'absence')),
    payload TEXT NOT NULL,
    received_at TEXT NOT NULL
);
CREATE INDEX idx_events_program ON events(program_id, id);

CREATE TABLE idempotency_keys (
    program_id INTEGER NOT NULL REFERENCES programs(id) ON DELETE CASCADE,
    idempotency_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    response TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (program_id, idempotency_key)
);

CREATE TABLE health_snapshots (
    id INTEGER PRIMARY KEY,
    program_id INTEGER NOT NULL REFERENCES programs(id) ON DELETE CASCADE,
    computed_at TEXT NOT NULL,
    analysis_date TEXT NOT NULL,
    schedule_version INTEGER NOT NULL,
    triggered_by TEXT NOT NULL,
    report TEXT NOT NULL
);
CREATE INDEX idx_health_program_time ON health_snapshots(program_id, computed_at);

CREATE TABLE thermodynamic_metrics (
    id INTEGER PRIMARY KEY,
    program_id INTEGER NOT NULL REFERENCES programs(id) ON DELETE CASCADE,
    health_snapshot_id INTEGER REFERENCES health_snapshots(id) ON DELETE SET NULL,
    timestamp TEXT NOT NULL,
    person_entropy REAL,
    rotation_entropy REAL,
    time_entropy REAL,
    joint_entropy REAL,
    mutual_information REAL,
    normalized_entropy REAL,
    entropy_production_rate REAL,
    free_energy REAL,
    internal_energy REAL,
    effective_temperature REAL,
    phase_transition_severity TEXT,
    time_to_transition REAL,
    confidence REAL,
    computed_by TEXT NOT NULL,
    notes TEXT
);
CREATE INDEX idx_thermodynamic_timestamp ON thermodynamic_metrics(program_id, timestamp);

CREATE TABLE phase_transition_signals (
    id INTEGER PRIMARY KEY,
    metric_id INTEGER NOT NULL REFERENCES thermodynamic_metrics(id) ON DELETE CASCADE,
    detected_at TEXT NOT NULL,
    signal_type TEXT NOT NULL,
    metric_name TEXT NOT NULL,
    severity TEXT NOT NULL,
    value REAL,
    threshold REAL,
    description TEXT NOT NULL
);
CREATE INDEX idx_signals_metric ON phase_transition_signals(metric_id);
CREATE INDEX idx_signals_severity ON phase_transition_signals(severity);

CREATE TABLE transport_metrics (
    id INTEGER PRIMARY KEY,
    program_id INTEGER NOT NULL REFERENCES programs(id) ON DELETE CASCADE,
    health_snapshot_id INTEGER REFERENCES health_snapshots(id) ON DELETE SET NULL,
    timestamp TEXT NOT NULL,
    saturation_gradient REAL,
    peclet_number REAL,
    boundary_layer_thickness REAL,
    time_to_saturation_minutes REAL,
    effective_diffusion REAL
);
CREATE INDEX idx_transport_timestamp ON transport_metrics(program_id, timestamp);

CREATE TABLE alerts (
    id INTEGER PRIMARY KEY,
    program_id INTEGER NOT NULL REFERENCES programs(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    severity TEXT NOT NULL,
    title TEXT NOT NULL,
    message TEXT NOT NULL,
    details TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX idx_alerts_program_kind ON alerts(program_id, kind, created_at);

CREATE TABLE alert_deliveries (
    id INTEGER PRIMARY KEY,
    alert_id INTEGER NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
    webhook_url TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts INTEGER NOT NULL,
    last_error TEXT,
    next_attempt_at TEXT,
    delivered_at TEXT,
    updated_at TEXT NOT NULL
);
CREATE INDEX idx_deliveries_due ON alert_deliveries(status, next_attempt_at);

CREATE TABLE job_runs (
    job TEXT NOT NULL,
    program_id INTEGER NOT NULL REFERENCES programs(id) ON DELETE CASCADE,
    tick TEXT NOT NULL,
    node TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
    error TEXT,
    PRIMARY KEY (job, program_id, tick)
);
