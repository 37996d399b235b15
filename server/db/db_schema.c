/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The schema, as an ordered list of migrations, and the code that applies
 * them.
 *
 * Rules.  A migration is never edited once released: a change is a new
 * entry at the end.  Migration N is applied in one transaction together
 * with the row (N, time) in schema_version, so a crash leaves the
 * database at N-1 or N, never between.  A database whose highest version
 * is above the last entry here was written by a newer program and is
 * refused (BW_EVERSION): this code cannot know what the newer columns
 * mean, and writing to them could lose data.
 *
 * Portability.  The SQL is meant to run on PostgreSQL too (the next
 * backend), with three exceptions a PostgreSQL migration list spells its
 * own way (docs/storage.md):
 *   - "INTEGER PRIMARY KEY" ids: SQLite's rowid; PostgreSQL uses
 *     "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY".
 *   - BLOB columns: BYTEA in PostgreSQL.
 *   - The audit log's two triggers use SQLite's RAISE(ABORT); PostgreSQL
 *     gets a trigger function or REVOKE UPDATE, DELETE.
 * Times are BIGINT milliseconds since the Unix epoch; enumerations are
 * TEXT with a CHECK list (readable in a dump, portable).
 */
#include <stdio.h>
#include <time.h>

#include "db_int.h"

static const char *const migrations[] = {
    /* 1: devices, their credentials and bootstrap configurations; meta
     * holds the master key check value. */
    "CREATE TABLE meta ("
    "  name TEXT PRIMARY KEY,"
    "  value BLOB NOT NULL);"
    "CREATE TABLE devices ("
    "  id INTEGER PRIMARY KEY,"
    "  endpoint TEXT NOT NULL UNIQUE,"
    "  model TEXT NOT NULL,"
    "  tags TEXT NOT NULL,"
    "  created_at BIGINT NOT NULL);"
    "CREATE TABLE credentials ("
    "  id INTEGER PRIMARY KEY,"
    "  device_id INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,"
    "  kind TEXT NOT NULL CHECK (kind IN ('psk', 'cert')),"
    "  identity BLOB NOT NULL UNIQUE,"
    "  psk_nonce BLOB,"
    "  psk_box BLOB,"
    "  psk_digest BLOB UNIQUE,"
    "  cert_der BLOB,"
    "  state TEXT NOT NULL CHECK (state IN ('active', 'pending', 'revoked')),"
    "  created_at BIGINT NOT NULL,"
    "  revoked_at BIGINT,"
    "  CHECK (kind <> 'psk' OR (psk_nonce IS NOT NULL AND psk_box IS NOT NULL"
    "         AND psk_digest IS NOT NULL)));"
    "CREATE INDEX credentials_device ON credentials(device_id);"
    "CREATE TABLE bootstrap_configs ("
    "  device_id INTEGER PRIMARY KEY REFERENCES devices(id) ON DELETE CASCADE,"
    "  server_uri TEXT NOT NULL,"
    "  lifetime_s BIGINT NOT NULL,"
    "  binding TEXT NOT NULL,"
    "  updated_at BIGINT NOT NULL);",

    /* 2: live registrations and the audit log. */
    "CREATE TABLE registrations ("
    "  location TEXT PRIMARY KEY,"
    "  endpoint TEXT NOT NULL UNIQUE,"
    "  lifetime_s BIGINT NOT NULL,"
    "  binding TEXT NOT NULL,"
    "  lwm2m_version TEXT NOT NULL,"
    "  object_links TEXT NOT NULL,"
    "  registered_at BIGINT NOT NULL,"
    "  updated_at BIGINT NOT NULL,"
    "  expires_at BIGINT NOT NULL);"
    "CREATE INDEX registrations_expires ON registrations(expires_at);"
    "CREATE TABLE audit_log ("
    "  id INTEGER PRIMARY KEY,"
    "  logged_at BIGINT NOT NULL,"
    "  actor TEXT NOT NULL,"
    "  action TEXT NOT NULL,"
    "  subject TEXT NOT NULL,"
    "  detail TEXT NOT NULL);"
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;"
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;",

    /* 3: requests queued for devices, and time series. */
    "CREATE TABLE queued_requests ("
    "  id INTEGER PRIMARY KEY,"
    "  device_id INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,"
    "  operation TEXT NOT NULL CHECK (operation IN ('read', 'write',"
    "    'execute', 'create', 'delete', 'discover', 'write-attributes',"
    "    'observe', 'cancel-observe')),"
    "  path TEXT NOT NULL,"
    "  payload BLOB,"
    "  state TEXT NOT NULL CHECK (state IN ('queued', 'sent', 'answered',"
    "    'expired')),"
    "  result_code INTEGER NOT NULL,"
    "  result BLOB,"
    "  created_at BIGINT NOT NULL,"
    "  updated_at BIGINT NOT NULL,"
    "  expires_at BIGINT NOT NULL);"
    "CREATE INDEX queued_requests_device ON queued_requests(device_id, state,"
    "  id);"
    "CREATE INDEX queued_requests_expiry ON queued_requests(state,"
    "  expires_at);"
    "CREATE TABLE timeseries ("
    "  id INTEGER PRIMARY KEY,"
    "  device_id INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,"
    "  path TEXT NOT NULL,"
    "  sampled_at BIGINT NOT NULL,"
    "  value_text TEXT,"
    "  value_blob BLOB,"
    "  CHECK ((value_text IS NULL) <> (value_blob IS NULL)));"
    "CREATE INDEX timeseries_series ON timeseries(device_id, path,"
    "  sampled_at);"
    "CREATE INDEX timeseries_age ON timeseries(sampled_at);",

    /* 4: what a credential is for: the bootstrap server accepts only
     * 'bootstrap' credentials, the DM server only 'dm' ones, so a
     * factory bootstrap key never opens a DM session and a DM key never
     * re-bootstraps a device. */
    ("ALTER TABLE credentials ADD COLUMN purpose TEXT NOT NULL DEFAULT 'dm'"
     "  CHECK (purpose IN ('bootstrap', 'dm'));"),

    /* 5: the firmware repository (signed images, verified at upload, kept
     * whole in the database so an image and its row commit together), and
     * the firmware version each device last reported (/3/0/3). */
    "CREATE TABLE firmware ("
    "  id TEXT PRIMARY KEY,"
    "  model TEXT NOT NULL,"
    "  version TEXT NOT NULL,"
    "  security_counter BIGINT NOT NULL,"
    "  size BIGINT NOT NULL,"
    "  sha256 BLOB NOT NULL UNIQUE,"
    "  key_hash BLOB NOT NULL,"
    "  image BLOB NOT NULL,"
    "  uploaded_at BIGINT NOT NULL,"
    "  uploaded_by TEXT NOT NULL);"
    "CREATE INDEX firmware_model ON firmware(model, security_counter);"
    "ALTER TABLE devices ADD COLUMN fw_version TEXT;"
    "ALTER TABLE devices ADD COLUMN fw_seen_at BIGINT;",

    /* 6: campaigns: which devices get which firmware, in which batch, and
     * where each one stands; campaign_events is the per-device history.
     * The failure threshold is in basis points (100 = 1 %) and the
     * schedule window in minutes of the UTC day, so no float and no time
     * zone reaches the schema. */
    "CREATE TABLE campaigns ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL,"
    "  firmware_id TEXT NOT NULL REFERENCES firmware(id),"
    "  selector TEXT NOT NULL,"
    "  batches TEXT NOT NULL,"
    "  max_concurrent INTEGER NOT NULL,"
    "  failure_threshold_bp INTEGER NOT NULL,"
    "  window_start INTEGER,"
    "  window_end INTEGER,"
    "  auto_upgrade INTEGER NOT NULL,"
    "  state TEXT NOT NULL CHECK (state IN ('running', 'paused', 'halted',"
    "    'aborted', 'completed')),"
    "  current_batch INTEGER NOT NULL,"
    "  halt_reason TEXT,"
    "  created_by TEXT NOT NULL,"
    "  created_at BIGINT NOT NULL,"
    "  updated_at BIGINT NOT NULL);"
    "CREATE TABLE campaign_devices ("
    "  campaign_id INTEGER NOT NULL REFERENCES campaigns(id)"
    "    ON DELETE CASCADE,"
    "  device_id INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,"
    "  batch INTEGER NOT NULL,"
    "  state TEXT NOT NULL CHECK (state IN ('pending', 'downloading',"
    "    'downloaded', 'updating', 'succeeded', 'failed', 'skipped',"
    "    'aborted')),"
    "  result INTEGER NOT NULL,"
    "  detail TEXT NOT NULL,"
    "  started_at BIGINT,"
    "  updated_at BIGINT NOT NULL,"
    "  PRIMARY KEY (campaign_id, device_id));"
    "CREATE INDEX campaign_devices_state ON campaign_devices(campaign_id,"
    "  state);"
    "CREATE TABLE campaign_events ("
    "  id INTEGER PRIMARY KEY,"
    "  campaign_id INTEGER NOT NULL REFERENCES campaigns(id)"
    "    ON DELETE CASCADE,"
    "  device_id INTEGER REFERENCES devices(id) ON DELETE CASCADE,"
    "  at BIGINT NOT NULL,"
    "  state TEXT NOT NULL,"
    "  detail TEXT NOT NULL);"
    "CREATE INDEX campaign_events_device ON campaign_events(campaign_id,"
    "  device_id, id);",

    /* 7: REST API tokens with roles (db_token.h).  Only an argon2id hash
     * of each token is kept; lookup is the token's first 12 hex digits,
     * so a request costs one index lookup and one hash check.  Names are
     * never reused (UNIQUE over revoked rows too), so the audit actor
     * "api:<name>" always names one token. */
    "CREATE TABLE api_tokens ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  role TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),"
    "  lookup TEXT NOT NULL UNIQUE,"
    "  hash TEXT NOT NULL,"
    "  created_at BIGINT NOT NULL,"
    "  last_used_at BIGINT,"
    "  revoked_at BIGINT);",

    /* 8: how a campaign delivers its image (db_campaign.h): 'pull' writes
     * the Package URI, 'push' writes the image block-wise into /5/0/0.
     * Campaigns created before this migration pulled. */
    "ALTER TABLE campaigns ADD COLUMN delivery TEXT NOT NULL DEFAULT 'pull'"
    "  CHECK (delivery IN ('pull', 'push'));",

    /* 9: values devices report with LwM2M Send (db_telemetry.h), one row
     * per SenML record with its kind; the value sits in the one column
     * its kind names (bool as 0 / 1 in value_num).  telemetry_series
     * serves a path's history, telemetry_recent the newest-first pages
     * and the retention prune. */
    "CREATE TABLE telemetry ("
    "  id INTEGER PRIMARY KEY,"
    "  device_id INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,"
    "  path TEXT NOT NULL,"
    "  sampled_at BIGINT NOT NULL,"
    "  kind TEXT NOT NULL CHECK (kind IN ('number', 'string', 'bool',"
    "    'opaque')),"
    "  value_num DOUBLE PRECISION,"
    "  value_text TEXT,"
    "  value_blob BLOB,"
    "  received_at BIGINT NOT NULL,"
    "  CHECK ((kind IN ('number', 'bool')) = (value_num IS NOT NULL)),"
    "  CHECK ((kind = 'string') = (value_text IS NOT NULL)),"
    "  CHECK ((kind = 'opaque') = (value_blob IS NOT NULL)));"
    "CREATE INDEX telemetry_series ON telemetry(device_id, path,"
    "  sampled_at);"
    "CREATE INDEX telemetry_recent ON telemetry(device_id, sampled_at, id);"
    /* It replaces schema 3's untyped timeseries table, which nothing
     * wrote (its rows, if any, had no kind). */
    "DROP TABLE timeseries;",

    /* 10: where a telemetry row came from (db_telemetry.h): 'send' (LwM2M
     * Send) or 'notify' (a notification of an observation).  Rows stored
     * before it came from either and keep NULL: unknown, never guessed. */
    "ALTER TABLE telemetry ADD COLUMN source TEXT"
    "  CHECK (source IN ('send', 'notify'));",

    /* 11: the device list filtered by model (db_list.c) walks one
     * model's devices in endpoint order, and a campaign's target
     * selection reads one model's devices: both an index range scan
     * rather than a pass over the whole fleet. */
    "CREATE INDEX devices_model ON devices(model, endpoint);",

    /* 12: queued requests.  tries: the deliveries that got no answer,
     * counted in the transaction that puts the request back in the
     * queue (db_request.h), so a restart does not give a request its
     * tries again.  queued_requests_done: the retention job deletes
     * answered and expired requests by age (updated_at, when they
     * became final) in small batches, an index range each. */
    "ALTER TABLE queued_requests ADD COLUMN tries INTEGER NOT NULL DEFAULT 0"
    "  CHECK (tries >= 0);"
    "CREATE INDEX queued_requests_done ON queued_requests(state,"
    "  updated_at);",

    /* 13: live observations (db.h, db_observe.c), so that a restarted
     * server accepts the notifications of what it observed.  A row
     * belongs to its registration (and so to its device): deleted with
     * it (De-register, expiry, revocation, device deletion), or cut
     * loose by a new Register,
     * which moves the registration to a new location (location NULL:
     * dead, deleted by the server or at the next load).  observation_seq
     * holds the highest id ever stored, so ids are never handed out
     * twice, also after their rows went. */
    "CREATE TABLE observations ("
    "  id INTEGER PRIMARY KEY,"
    "  location TEXT REFERENCES registrations(location) ON DELETE CASCADE"
    "    ON UPDATE SET NULL,"
    "  token BLOB NOT NULL UNIQUE,"
    "  path TEXT NOT NULL,"
    "  accept INTEGER NOT NULL,"
    "  content_format INTEGER NOT NULL,"
    "  actor TEXT NOT NULL,"
    "  created_at BIGINT NOT NULL);"
    "CREATE INDEX observations_location ON observations(location);"
    "CREATE TABLE observation_seq ("
    "  last_id BIGINT NOT NULL);"
    "INSERT INTO observation_seq (last_id) VALUES (0);",

    /* 14: additional DM servers of a bootstrap configuration (db.h,
     * db_bootstrap.c): written into the device as /0/N and /1/N with the
     * Access Control its access map (text, "/3/0=R;/3303=C") asks for.
     * The key is sealed like a credential's (psk_nonce, psk_box) and
     * never leaves the store but to the bootstrap server.  A row belongs
     * to its configuration (and so to its device) and goes with it;
     * position keeps the order the operator gave (instance N = position
     * + 2). */
    "CREATE TABLE bootstrap_servers ("
    "  device_id INTEGER NOT NULL REFERENCES bootstrap_configs(device_id)"
    "    ON DELETE CASCADE,"
    "  position INTEGER NOT NULL CHECK (position >= 0),"
    "  uri TEXT NOT NULL,"
    "  ssid INTEGER NOT NULL CHECK (ssid BETWEEN 1 AND 65534),"
    "  lifetime_s BIGINT NOT NULL CHECK (lifetime_s > 0),"
    "  binding TEXT NOT NULL,"
    "  psk_identity TEXT NOT NULL,"
    "  psk_nonce BLOB NOT NULL,"
    "  psk_box BLOB NOT NULL,"
    "  access TEXT NOT NULL,"
    "  PRIMARY KEY (device_id, position),"
    "  UNIQUE (device_id, ssid));",
};

_Static_assert(sizeof migrations / sizeof migrations[0] == BW_DB_SCHEMA_VERSION,
               "BW_DB_SCHEMA_VERSION is the number of migrations");

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Highest applied version, inside the caller's transaction. */
static int current_version(sqlite3 *c, unsigned *v)
{
    sqlite3_stmt *st;
    int err = bw_db__prepare(
        c, "SELECT COALESCE(MAX(version), 0) FROM schema_version", &st);
    if (err != 0)
        return err;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        sqlite3_int64 x = sqlite3_column_int64(st, 0);
        *v = x < 0 || x > 1000000 ? 1000000u : (unsigned)x;
        err = 0;
    } else {
        err = bw_db__err(rc);
    }
    bw_db__release(st);
    return err;
}

static int record_version(sqlite3 *c, unsigned v)
{
    sqlite3_stmt *st;
    int err = bw_db__prepare(
        c, "INSERT INTO schema_version (version, applied_at) VALUES (?, ?)",
        &st);
    if (err != 0)
        return err;
    sqlite3_bind_int64(st, 1, v);
    sqlite3_bind_int64(st, 2, wall_ms());
    return bw_db__step_done(st);
}

/*
 * One step: in a write transaction (BEGIN IMMEDIATE, so two processes
 * opening the same file at once migrate one after the other), read the
 * version again and apply the next migration if it is still missing.
 * *done is set when nothing is left to do.
 */
static int step(sqlite3 *c, unsigned target, int *done, char *why, size_t cap)
{
    int err = bw_db__exec(c, "BEGIN IMMEDIATE");
    if (err != 0) {
        bw_db__why(why, cap, "cannot lock the database: %s", sqlite3_errmsg(c));
        return err;
    }
    err = bw_db__exec(c, "CREATE TABLE IF NOT EXISTS schema_version ("
                         "  version INTEGER PRIMARY KEY,"
                         "  applied_at BIGINT NOT NULL)");
    unsigned v = 0;
    if (err == 0)
        err = current_version(c, &v);
    if (err == 0 && v > BW_DB_SCHEMA_VERSION) {
        bw_db__why(why, cap,
                   "database schema version %u is newer than this program "
                   "(it knows up to %u): upgrade bulwark-server, or restore "
                   "a backup made before the upgrade",
                   v, (unsigned)BW_DB_SCHEMA_VERSION);
        err = BW_EVERSION;
    }
    if (err == 0 && v >= target) {
        *done = 1;
    } else if (err == 0) {
        err = bw_db__exec(c, migrations[v]);
        if (err != 0)
            bw_db__why(why, cap, "migration %u failed: %s", v + 1,
                       sqlite3_errmsg(c));
        else
            err = record_version(c, v + 1);
    }
    if (err == 0)
        err = bw_db__exec(c, "COMMIT");
    if (err != 0)
        (void)bw_db__exec(c, "ROLLBACK");
    return err;
}

int bw_db__migrate(sqlite3 *c, unsigned target, char *why, size_t cap)
{
    if (target == 0 || target > BW_DB_SCHEMA_VERSION)
        target = BW_DB_SCHEMA_VERSION;
    int done = 0;
    for (unsigned i = 0; i <= BW_DB_SCHEMA_VERSION && !done; i++) {
        int err = step(c, target, &done, why, cap);
        if (err != 0)
            return err;
    }
    return 0;
}
