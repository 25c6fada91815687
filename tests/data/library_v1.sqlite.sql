-- formcheck session library, schema version 1 (sqlite DDL), frozen when v2 was written: never edit.

CREATE TABLE athletes (
	id INTEGER NOT NULL, 
	name VARCHAR(200) NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (name)
);

CREATE TABLE schema_version (
	version INTEGER NOT NULL
);

CREATE TABLE sessions (
	id INTEGER NOT NULL, 
	athlete_id INTEGER NOT NULL, 
	session_date DATE NOT NULL, 
	session_time DATETIME, 
	date_source VARCHAR(20) NOT NULL, 
	condition VARCHAR(20), 
	speed_kmh FLOAT, 
	shoes VARCHAR(200), 
	notes TEXT, 
	folder TEXT NOT NULL, 
	video TEXT NOT NULL, 
	analysis_key VARCHAR(64) NOT NULL, 
	formcheck_version VARCHAR(40) NOT NULL, 
	"view" VARCHAR(20), 
	facing VARCHAR(20), 
	steps INTEGER, 
	duration_s FLOAT, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(athlete_id) REFERENCES athletes (id) ON DELETE CASCADE, 
	UNIQUE (analysis_key)
);

CREATE INDEX ix_sessions_athlete_date ON sessions (athlete_id, session_date);

CREATE TABLE faults (
	id INTEGER NOT NULL, 
	session_id INTEGER NOT NULL, 
	code VARCHAR(40) NOT NULL, 
	severity VARCHAR(20), 
	status VARCHAR(20) NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_faults_session_code UNIQUE (session_id, code), 
	FOREIGN KEY(session_id) REFERENCES sessions (id) ON DELETE CASCADE
);

CREATE TABLE metric_results (
	id INTEGER NOT NULL, 
	session_id INTEGER NOT NULL, 
	name VARCHAR(80) NOT NULL, 
	median FLOAT, 
	p10 FLOAT, 
	p90 FLOAT, 
	n_steps INTEGER, 
	unit VARCHAR(40), 
	measurable BOOLEAN NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_metric_results_session_name UNIQUE (session_id, name), 
	FOREIGN KEY(session_id) REFERENCES sessions (id) ON DELETE CASCADE
);

INSERT INTO schema_version (version) VALUES (1);
