#include "store.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <utility>

namespace honeyhive::hhlocal {
namespace {

using json = nlohmann::json;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS sessions (
  session_id    TEXT PRIMARY KEY,
  project       TEXT,
  session_name  TEXT,
  name_rank     INTEGER NOT NULL DEFAULT 0,
  source        TEXT,
  run_id        TEXT,
  datapoint_id  TEXT,
  start_time_ns INTEGER NOT NULL,
  end_time_ns   INTEGER NOT NULL,
  span_count    INTEGER NOT NULL DEFAULT 0,
  error_count   INTEGER NOT NULL DEFAULT 0,
  metrics       TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS sessions_by_start ON sessions(start_time_ns DESC);
CREATE INDEX IF NOT EXISTS sessions_by_project ON sessions(project, start_time_ns DESC);
CREATE INDEX IF NOT EXISTS sessions_by_run ON sessions(run_id) WHERE run_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS spans (
  trace_id       TEXT NOT NULL,
  span_id        TEXT NOT NULL,
  parent_span_id TEXT,
  session_id     TEXT NOT NULL,
  event_id       TEXT,
  name           TEXT NOT NULL,
  event_type     TEXT,
  kind           INTEGER NOT NULL,
  start_time_ns  INTEGER NOT NULL,
  end_time_ns    INTEGER NOT NULL,
  status_code    INTEGER NOT NULL,
  status_message TEXT NOT NULL,
  is_error       INTEGER NOT NULL,
  inputs         TEXT NOT NULL,
  outputs        TEXT NOT NULL,
  metadata       TEXT NOT NULL,
  metrics        TEXT NOT NULL,
  feedback       TEXT NOT NULL,
  config         TEXT NOT NULL,
  attributes     TEXT NOT NULL,
  events         TEXT NOT NULL,
  PRIMARY KEY (trace_id, span_id)
);
CREATE INDEX IF NOT EXISTS spans_by_session ON spans(session_id, start_time_ns);
CREATE INDEX IF NOT EXISTS spans_by_event ON spans(event_id) WHERE event_id IS NOT NULL;
)sql";

constexpr const char* kSessionColumns =
    "session_id, project, session_name, source, start_time_ns, end_time_ns, span_count, error_count, run_id, "
    "datapoint_id, metrics";

constexpr const char* kSpanColumns =
    "trace_id, span_id, parent_span_id, name, event_type, kind, start_time_ns, end_time_ns, status_code, "
    "status_message, inputs, outputs, metadata, metrics, feedback, config, attributes, events";

json parse_or(const unsigned char* text, json fallback) {
  if (text == nullptr) return fallback;
  json value = json::parse(reinterpret_cast<const char*>(text), nullptr, /*allow_exceptions=*/false);
  return value.is_discarded() ? fallback : value;
}

// One prepared statement (finalized on destruction).
class Statement {
 public:
  Statement(sqlite3* db, const char* sql) : db_(db) { sqlite3_prepare_v2(db, sql, -1, &statement_, nullptr); }
  ~Statement() { sqlite3_finalize(statement_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  bool ok() const { return statement_ != nullptr; }
  void text(int index, const std::string& value) {
    sqlite3_bind_text(statement_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
  }
  void text_or_null(int index, const std::string& value) {
    if (value.empty()) {
      sqlite3_bind_null(statement_, index);
    } else {
      text(index, value);
    }
  }
  void integer(int index, std::int64_t value) { sqlite3_bind_int64(statement_, index, value); }
  // SQLITE_ROW, SQLITE_DONE or an error code.
  int step() { return statement_ == nullptr ? SQLITE_ERROR : sqlite3_step(statement_); }
  void reset() {
    sqlite3_reset(statement_);
    sqlite3_clear_bindings(statement_);
  }
  std::string column_text(int column) const {
    const unsigned char* text = sqlite3_column_text(statement_, column);
    return text == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(text));
  }
  json column_text_or_null(int column) const {
    if (sqlite3_column_type(statement_, column) == SQLITE_NULL) return nullptr;
    return column_text(column);
  }
  std::int64_t column_integer(int column) const { return sqlite3_column_int64(statement_, column); }
  json column_json(int column, json fallback) const {
    return parse_or(sqlite3_column_text(statement_, column), std::move(fallback));
  }
  std::string error() const { return sqlite3_errmsg(db_); }

 private:
  sqlite3* db_;
  sqlite3_stmt* statement_ = nullptr;
};

bool exec(sqlite3* db, const char* sql, std::string* error = nullptr) {
  char* message = nullptr;
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &message);
  if (rc != SQLITE_OK && error != nullptr) *error = message != nullptr ? message : sqlite3_errstr(rc);
  sqlite3_free(message);
  return rc == SQLITE_OK;
}

double duration_ms(std::int64_t start_ns, std::int64_t end_ns) { return static_cast<double>(end_ns - start_ns) / 1e6; }

// A session list row from a statement selecting kSessionColumns.
json session_row(const Statement& row) {
  const std::int64_t start = row.column_integer(4);
  const std::int64_t end = row.column_integer(5);
  return json{{"session_id", row.column_text(0)},
              {"project", row.column_text(1)},
              {"session_name", row.column_text(2)},
              {"source", row.column_text(3)},
              {"start_time_ns", start},
              {"end_time_ns", end},
              {"duration_ms", duration_ms(start, end)},
              {"span_count", row.column_integer(6)},
              {"error_count", row.column_integer(7)},
              {"run_id", row.column_text_or_null(8)},
              {"datapoint_id", row.column_text_or_null(9)}};
}

const char* kind_name(std::int64_t kind) {
  static constexpr const char* kNames[] = {"unspecified", "internal", "server", "client", "producer", "consumer"};
  return kind >= 0 && kind <= 5 ? kNames[kind] : "unspecified";
}

const char* status_name(std::int64_t code) { return code == 1 ? "ok" : code == 2 ? "error" : "unset"; }

// A span from a statement selecting kSpanColumns.
json span_row(const Statement& row) {
  const std::int64_t start = row.column_integer(6);
  const std::int64_t end = row.column_integer(7);
  return json{{"trace_id", row.column_text(0)},
              {"span_id", row.column_text(1)},
              {"parent_span_id", row.column_text_or_null(2)},
              {"name", row.column_text(3)},
              {"event_type", row.column_text_or_null(4)},
              {"kind", kind_name(row.column_integer(5))},
              {"start_time_ns", start},
              {"end_time_ns", end},
              {"duration_ms", duration_ms(start, end)},
              {"status", status_name(row.column_integer(8))},
              {"status_message", row.column_text(9)},
              {"inputs", row.column_json(10, json::object())},
              {"outputs", row.column_json(11, json::object())},
              {"metadata", row.column_json(12, json::object())},
              {"metrics", row.column_json(13, json::object())},
              {"feedback", row.column_json(14, json::object())},
              {"config", row.column_json(15, json::object())},
              {"attributes", row.column_json(16, json::object())},
              {"events", row.column_json(17, json::array())}};
}

json error_json(const std::string& message) { return json{{"error", message}}; }

// Replaces the top-level keys of `target` with those of `update` (both objects).
void replace_keys(json& target, const json& update) {
  if (!target.is_object()) target = json::object();
  if (!update.is_object()) return;
  for (auto it = update.begin(); it != update.end(); ++it) target[it.key()] = it.value();
}

// What a set of new spans adds to one session.
struct SessionDelta {
  std::string project, source, session_name, run_id, datapoint_id;
  int name_rank = 0;
  std::int64_t start = 0, end = 0, spans = 0, errors = 0;
  json metrics = json::object();
  bool seen = false;
};

void add_to_delta(SessionDelta& delta, const SpanRecord& record, bool counted) {
  if (!delta.seen) {
    delta.start = record.start_time_ns;
    delta.end = record.end_time_ns;
    delta.seen = true;
  }
  delta.start = std::min(delta.start, record.start_time_ns);
  delta.end = std::max(delta.end, record.end_time_ns);
  if (counted) {
    ++delta.spans;
    if (record.is_error) ++delta.errors;
  }
  if (delta.project.empty()) delta.project = record.project;
  if (delta.source.empty()) delta.source = record.source;
  if (delta.run_id.empty()) delta.run_id = record.run_id;
  if (delta.datapoint_id.empty()) delta.datapoint_id = record.datapoint_id;
  if (record.session_name_rank > delta.name_rank) {
    delta.name_rank = record.session_name_rank;
    delta.session_name = record.session_name;
  }
  if (record.event_type == "session") replace_keys(delta.metrics, record.metrics);
}

}  // namespace

std::unique_ptr<Store> Store::open(const std::string& path, std::string& error, const StoreOptions& options) noexcept {
  try {
    std::unique_ptr<Store> store(new Store());
    constexpr int kFlags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX;
    if (sqlite3_open_v2(path.c_str(), &store->writer_, kFlags, nullptr) != SQLITE_OK) {
      error = "cannot open " + path + ": " + sqlite3_errmsg(store->writer_);
      return nullptr;
    }
    sqlite3_busy_timeout(store->writer_, 10000);
    const std::string pragmas = std::string("PRAGMA journal_mode=WAL; PRAGMA synchronous=") +
                                (options.synchronous_full ? "FULL" : "NORMAL") + ";";
    if (!exec(store->writer_, pragmas.c_str(), &error) || !exec(store->writer_, kSchema, &error)) {
      error = path + ": " + error;
      return nullptr;
    }
    {
      Statement mode(store->writer_, "PRAGMA journal_mode");
      if (mode.step() != SQLITE_ROW || mode.column_text(0) != "wal") {
        error = path + ": the database cannot use WAL mode";
        return nullptr;
      }
    }
    if (sqlite3_open_v2(path.c_str(), &store->reader_, SQLITE_OPEN_READONLY | SQLITE_OPEN_FULLMUTEX, nullptr) !=
        SQLITE_OK) {
      error = "cannot open " + path + " for reading: " + sqlite3_errmsg(store->reader_);
      return nullptr;
    }
    sqlite3_busy_timeout(store->reader_, 10000);
    return store;
  } catch (...) {
    error = "out of memory opening " + path;
    return nullptr;
  }
}

Store::~Store() {
  sqlite3_close(reader_);
  sqlite3_close(writer_);
}

WriteResult Store::insert(const std::vector<SpanRecord>& records, bool merge_existing) noexcept {
  WriteResult result;
  try {
    std::lock_guard<std::mutex> lock(write_mutex_);
    if (!exec(writer_, "BEGIN IMMEDIATE", &result.error)) return result;
    if (insert_locked(records, merge_existing, result) && exec(writer_, "COMMIT", &result.error)) {
      result.ok = true;
      return result;
    }
    exec(writer_, "ROLLBACK");
  } catch (...) {
    exec(writer_, "ROLLBACK");
    result.error = "out of memory";
  }
  result.ok = false;
  result.inserted = 0;
  result.duplicates = 0;
  return result;
}

bool Store::insert_locked(const std::vector<SpanRecord>& records, bool merge_existing, WriteResult& result) {
  Statement insert(writer_,
                   "INSERT OR IGNORE INTO spans (trace_id, span_id, parent_span_id, session_id, event_id, name, "
                   "event_type, kind, start_time_ns, end_time_ns, status_code, status_message, is_error, inputs, "
                   "outputs, metadata, metrics, feedback, config, attributes, events) VALUES "
                   "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)");
  if (!insert.ok()) {
    result.error = insert.error();
    return false;
  }
  std::vector<const SpanRecord*> added;
  std::vector<const SpanRecord*> merged;
  for (const SpanRecord& record : records) {
    if (merge_existing) {
      Statement exists(writer_, "SELECT 1 FROM spans WHERE trace_id = ?1 AND span_id = ?2");
      exists.text(1, record.trace_id);
      exists.text(2, record.span_id);
      if (exists.step() == SQLITE_ROW) {
        if (!merge_into_row(record, result)) return false;
        merged.push_back(&record);
        continue;
      }
    }
    insert.text(1, record.trace_id);
    insert.text(2, record.span_id);
    insert.text_or_null(3, record.parent_span_id);
    insert.text(4, record.session_id);
    insert.text_or_null(5, record.event_id);
    insert.text(6, record.name);
    insert.text_or_null(7, record.event_type);
    insert.integer(8, record.kind);
    insert.integer(9, record.start_time_ns);
    insert.integer(10, record.end_time_ns);
    insert.integer(11, record.status_code);
    insert.text(12, record.status_message);
    insert.integer(13, record.is_error ? 1 : 0);
    insert.text(14, dump_json(record.inputs));
    insert.text(15, dump_json(record.outputs));
    insert.text(16, dump_json(record.metadata));
    insert.text(17, dump_json(record.metrics));
    insert.text(18, dump_json(record.feedback));
    insert.text(19, dump_json(record.config));
    insert.text(20, dump_json(record.attributes));
    insert.text(21, dump_json(record.events));
    if (insert.step() != SQLITE_DONE) {
      result.error = insert.error();
      return false;
    }
    if (sqlite3_changes(writer_) == 1) {
      ++result.inserted;
      added.push_back(&record);
    } else {
      ++result.duplicates;
    }
    insert.reset();
  }
  std::vector<const SpanRecord*> touched = added;
  touched.insert(touched.end(), merged.begin(), merged.end());
  // Merged rows were counted when first stored: they only refine the session's name, times, metrics.
  std::map<std::string, SessionDelta> deltas;
  for (std::size_t i = 0; i < touched.size(); ++i)
    add_to_delta(deltas[touched[i]->session_id], *touched[i], i < added.size());
  Statement upsert(writer_,
                   "INSERT INTO sessions (session_id, project, session_name, name_rank, source, run_id, datapoint_id, "
                   "start_time_ns, end_time_ns, span_count, error_count, metrics) VALUES "
                   "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) ON CONFLICT(session_id) DO UPDATE SET "
                   "project = COALESCE(sessions.project, excluded.project), "
                   "session_name = CASE WHEN excluded.name_rank > sessions.name_rank THEN excluded.session_name "
                   "ELSE sessions.session_name END, "
                   "name_rank = MAX(sessions.name_rank, excluded.name_rank), "
                   "source = COALESCE(sessions.source, excluded.source), "
                   "run_id = COALESCE(sessions.run_id, excluded.run_id), "
                   "datapoint_id = COALESCE(sessions.datapoint_id, excluded.datapoint_id), "
                   "start_time_ns = MIN(sessions.start_time_ns, excluded.start_time_ns), "
                   "end_time_ns = MAX(sessions.end_time_ns, excluded.end_time_ns), "
                   "span_count = sessions.span_count + excluded.span_count, "
                   "error_count = sessions.error_count + excluded.error_count, "
                   "metrics = json_patch(sessions.metrics, excluded.metrics)");
  if (!upsert.ok()) {
    result.error = upsert.error();
    return false;
  }
  for (const auto& [session_id, delta] : deltas) {
    upsert.text(1, session_id);
    upsert.text_or_null(2, delta.project);
    upsert.text_or_null(3, delta.session_name);
    upsert.integer(4, delta.name_rank);
    upsert.text_or_null(5, delta.source);
    upsert.text_or_null(6, delta.run_id);
    upsert.text_or_null(7, delta.datapoint_id);
    upsert.integer(8, delta.start);
    upsert.integer(9, delta.end);
    upsert.integer(10, delta.spans);
    upsert.integer(11, delta.errors);
    upsert.text(12, dump_json(delta.metrics));
    if (upsert.step() != SQLITE_DONE) {
      result.error = upsert.error();
      return false;
    }
    upsert.reset();
  }
  return true;
}

bool Store::merge_into_row(const SpanRecord& record, WriteResult& result) {
  Statement read(writer_,
                 "SELECT inputs, outputs, metadata, metrics, feedback, config, attributes FROM spans "
                 "WHERE trace_id = ?1 AND span_id = ?2");
  read.text(1, record.trace_id);
  read.text(2, record.span_id);
  if (read.step() != SQLITE_ROW) {
    result.error = read.error();
    return false;
  }
  const json* fresh[] = {&record.inputs,   &record.outputs, &record.metadata,  &record.metrics,
                         &record.feedback, &record.config,  &record.attributes};
  std::string merged[7];
  for (int i = 0; i < 7; ++i) {
    json stored = read.column_json(i, json::object());
    replace_keys(stored, *fresh[i]);
    merged[i] = dump_json(stored);
  }
  Statement update(
      writer_,
      "UPDATE spans SET name = ?3, event_type = ?4, start_time_ns = ?5, end_time_ns = MAX(end_time_ns, ?6), "
      "inputs = ?7, outputs = ?8, metadata = ?9, metrics = ?10, feedback = ?11, config = ?12, "
      "attributes = ?13 WHERE trace_id = ?1 AND span_id = ?2");
  update.text(1, record.trace_id);
  update.text(2, record.span_id);
  update.text(3, record.name);
  update.text_or_null(4, record.event_type);
  update.integer(5, record.start_time_ns);
  update.integer(6, record.end_time_ns);
  for (int i = 0; i < 7; ++i) update.text(7 + i, merged[i]);
  if (update.step() != SQLITE_DONE) {
    result.error = update.error();
    return false;
  }
  ++result.duplicates;
  return true;
}

WriteResult Store::update_event(const std::string& event_id, const json& update) noexcept {
  WriteResult result;
  try {
    std::lock_guard<std::mutex> lock(write_mutex_);
    if (!exec(writer_, "BEGIN IMMEDIATE", &result.error)) return result;
    bool ok = false;
    Statement read(writer_,
                   "SELECT trace_id, span_id, session_id, event_type, start_time_ns, end_time_ns, outputs, metadata, "
                   "metrics, feedback, config, attributes FROM spans WHERE event_id = ?1 LIMIT 1");
    read.text(1, event_id);
    const int rc = read.step();
    if (rc == SQLITE_DONE) {
      // Unknown: a placeholder session event that a later session start (or span) fills in.
      json session = update.is_object() ? update : json::object();
      session["session_id"] = event_id;
      session.erase("inputs");
      SpanRecord record;
      ok = record_from_session_start(session, record, result.error) && insert_locked({record}, false, result);
    } else if (rc == SQLITE_ROW) {
      const std::string trace_id = read.column_text(0);
      const std::string span_id = read.column_text(1);
      const std::string session_id = read.column_text(2);
      const bool is_session = read.column_text(3) == "session";
      const std::int64_t start = read.column_integer(4);
      std::int64_t end = read.column_integer(5);
      static constexpr const char* kFields[] = {"outputs", "metadata", "metrics", "feedback", "config"};
      json values[6];
      for (int i = 0; i < 6; ++i) values[i] = read.column_json(6 + i, json::object());
      for (int i = 0; i < 5; ++i) {
        if (update.contains(kFields[i])) replace_keys(values[i], update[kFields[i]]);
      }
      if (update.contains("user_properties")) replace_keys(values[5]["user_properties"], update["user_properties"]);
      if (update.contains("end_time") && update["end_time"].is_number()) {
        end = static_cast<std::int64_t>(std::llround(update["end_time"].get<double>() * 1e6));
      } else if (update.contains("duration") && update["duration"].is_number()) {
        end = start + static_cast<std::int64_t>(std::llround(update["duration"].get<double>() * 1e6));
      }
      Statement write(writer_,
                      "UPDATE spans SET end_time_ns = ?3, outputs = ?4, metadata = ?5, metrics = ?6, feedback = ?7, "
                      "config = ?8, attributes = ?9 WHERE trace_id = ?1 AND span_id = ?2");
      write.text(1, trace_id);
      write.text(2, span_id);
      write.integer(3, end);
      for (int i = 0; i < 6; ++i) write.text(4 + i, dump_json(values[i]));
      ok = write.step() == SQLITE_DONE;
      if (!ok) result.error = write.error();
      if (ok) {
        Statement session(writer_,
                          "UPDATE sessions SET end_time_ns = MAX(end_time_ns, ?2), metrics = CASE WHEN ?4 "
                          "THEN json_patch(metrics, ?3) ELSE metrics END WHERE session_id = ?1");
        session.text(1, session_id);
        session.integer(2, end);
        session.text(3, dump_json(update.contains("metrics") && update["metrics"].is_object() ? update["metrics"]
                                                                                              : json::object()));
        session.integer(4, is_session ? 1 : 0);
        ok = session.step() == SQLITE_DONE;
        if (!ok) result.error = session.error();
      }
    } else {
      result.error = read.error();
    }
    if (ok && exec(writer_, "COMMIT", &result.error)) {
      result.ok = true;
      return result;
    }
    exec(writer_, "ROLLBACK");
  } catch (...) {
    exec(writer_, "ROLLBACK");
    result.error = "out of memory";
  }
  result.ok = false;
  return result;
}

json Store::projects() noexcept {
  try {
    std::lock_guard<std::mutex> lock(read_mutex_);
    Statement query(reader_, "SELECT DISTINCT project FROM sessions WHERE project IS NOT NULL ORDER BY project");
    json projects = json::array();
    int rc;
    while ((rc = query.step()) == SQLITE_ROW) projects.push_back(query.column_text(0));
    if (rc != SQLITE_DONE) return error_json(query.error());
    return json{{"projects", std::move(projects)}};
  } catch (...) {
    return error_json("out of memory");
  }
}

json Store::sessions(const SessionQuery& query) noexcept {
  try {
    std::lock_guard<std::mutex> lock(read_mutex_);
    std::string pattern;
    if (!query.text.empty()) {
      pattern = "%";
      for (const char c : query.text) {
        if (c == '%' || c == '_' || c == '\\') pattern += '\\';
        pattern += c;
      }
      pattern += '%';
    }
    const std::string where =
        " WHERE (?1 IS NULL OR project = ?1) AND (?2 IS NULL OR run_id = ?2) AND (?3 IS NULL OR session_name LIKE ?3 "
        "ESCAPE '\\' OR EXISTS (SELECT 1 FROM spans WHERE spans.session_id = sessions.session_id AND spans.name "
        "LIKE ?3 ESCAPE '\\'))";
    const auto bind = [&](Statement& statement) {
      statement.text_or_null(1, query.project);
      statement.text_or_null(2, query.run_id);
      statement.text_or_null(3, pattern);
    };
    Statement count(reader_, ("SELECT count(*) FROM sessions" + where).c_str());
    bind(count);
    if (count.step() != SQLITE_ROW) return error_json(count.error());
    const std::int64_t total = count.column_integer(0);
    Statement rows(reader_, (std::string("SELECT ") + kSessionColumns + " FROM sessions" + where +
                             " ORDER BY start_time_ns DESC, session_id LIMIT ?4 OFFSET ?5")
                                .c_str());
    bind(rows);
    rows.integer(4, std::clamp<std::int64_t>(query.limit, 0, 1000));
    rows.integer(5, std::max<std::int64_t>(query.offset, 0));
    json sessions = json::array();
    int rc;
    while ((rc = rows.step()) == SQLITE_ROW) sessions.push_back(session_row(rows));
    if (rc != SQLITE_DONE) return error_json(rows.error());
    return json{{"total", total}, {"sessions", std::move(sessions)}};
  } catch (...) {
    return error_json("out of memory");
  }
}

std::optional<json> Store::session(const std::string& session_id) noexcept {
  try {
    std::lock_guard<std::mutex> lock(read_mutex_);
    Statement head(reader_,
                   (std::string("SELECT ") + kSessionColumns + " FROM sessions WHERE session_id = ?1").c_str());
    head.text(1, session_id);
    const int found = head.step();
    if (found == SQLITE_DONE) return std::nullopt;
    if (found != SQLITE_ROW) return error_json(head.error());
    json out = {{"session", session_row(head)}, {"spans", json::array()}};
    Statement spans(reader_, (std::string("SELECT ") + kSpanColumns +
                              " FROM spans WHERE session_id = ?1 ORDER BY start_time_ns, span_id")
                                 .c_str());
    spans.text(1, session_id);
    int rc;
    while ((rc = spans.step()) == SQLITE_ROW) out["spans"].push_back(span_row(spans));
    if (rc != SQLITE_DONE) return error_json(spans.error());
    return out;
  } catch (...) {
    return error_json("out of memory");
  }
}

namespace {

// Adds the numeric metrics of one session (numbers, booleans as 0/1) to per-metric sums.
void add_metrics(const json& metrics, std::map<std::string, std::pair<double, std::int64_t>>& sums) {
  if (!metrics.is_object()) return;
  for (auto it = metrics.begin(); it != metrics.end(); ++it) {
    double value;
    if (it->is_boolean()) {
      value = it->get<bool>() ? 1.0 : 0.0;
    } else if (it->is_number()) {
      value = it->get<double>();
    } else {
      continue;
    }
    if (!std::isfinite(value)) continue;
    auto& sum = sums[it.key()];
    sum.first += value;
    ++sum.second;
  }
}

json run_row(const std::string& run_id, const std::string& project, std::int64_t sessions, std::int64_t errors,
             std::int64_t first_start, const std::map<std::string, std::pair<double, std::int64_t>>& sums) {
  json evaluators = json::object();
  for (const auto& [name, sum] : sums) {
    evaluators[name] = {{"average", sum.first / static_cast<double>(sum.second)}, {"count", sum.second}};
  }
  return json{{"run_id", run_id},
              {"project", project},
              {"session_count", sessions},
              {"error_count", errors},
              {"first_start_ns", first_start},
              {"evaluators", std::move(evaluators)}};
}

}  // namespace

json Store::runs() noexcept {
  try {
    std::lock_guard<std::mutex> lock(read_mutex_);
    Statement query(reader_,
                    "SELECT run_id, COALESCE(project, ''), start_time_ns, error_count, metrics FROM sessions "
                    "WHERE run_id IS NOT NULL ORDER BY run_id");
    struct Run {
      std::string project;
      std::int64_t sessions = 0, errors = 0, first_start = 0;
      std::map<std::string, std::pair<double, std::int64_t>> sums;
    };
    std::map<std::string, Run> runs;
    int rc;
    while ((rc = query.step()) == SQLITE_ROW) {
      Run& run = runs[query.column_text(0)];
      const std::int64_t start = query.column_integer(2);
      if (run.sessions == 0 || start < run.first_start) run.first_start = start;
      if (run.project.empty()) run.project = query.column_text(1);
      ++run.sessions;
      if (query.column_integer(3) > 0) ++run.errors;
      add_metrics(query.column_json(4, json::object()), run.sums);
    }
    if (rc != SQLITE_DONE) return error_json(query.error());
    std::vector<std::pair<std::string, const Run*>> ordered;
    for (const auto& [id, run] : runs) ordered.emplace_back(id, &run);
    std::sort(ordered.begin(), ordered.end(),
              [](const auto& a, const auto& b) { return a.second->first_start > b.second->first_start; });
    json out = json::array();
    for (const auto& [id, run] : ordered) {
      out.push_back(run_row(id, run->project, run->sessions, run->errors, run->first_start, run->sums));
    }
    return json{{"runs", std::move(out)}};
  } catch (...) {
    return error_json("out of memory");
  }
}

std::optional<json> Store::run(const std::string& run_id) noexcept {
  try {
    std::lock_guard<std::mutex> lock(read_mutex_);
    Statement query(reader_, (std::string("SELECT ") + kSessionColumns +
                              " FROM sessions WHERE run_id = ?1 ORDER BY start_time_ns DESC, session_id")
                                 .c_str());
    query.text(1, run_id);
    json sessions = json::array();
    std::map<std::string, std::pair<double, std::int64_t>> sums;
    std::string project;
    std::int64_t errors = 0, first_start = 0;
    int rc;
    while ((rc = query.step()) == SQLITE_ROW) {
      json row = session_row(query);
      json metrics = query.column_json(10, json::object());
      add_metrics(metrics, sums);
      if (project.empty()) project = row["project"].get<std::string>();
      if (row["error_count"].get<std::int64_t>() > 0) ++errors;
      const std::int64_t start = row["start_time_ns"].get<std::int64_t>();
      if (sessions.empty() || start < first_start) first_start = start;
      row["metrics"] = std::move(metrics);
      sessions.push_back(std::move(row));
    }
    if (rc != SQLITE_DONE) return error_json(query.error());
    if (sessions.empty()) return std::nullopt;
    const auto count = static_cast<std::int64_t>(sessions.size());
    return json{{"run", run_row(run_id, project, count, errors, first_start, sums)}, {"sessions", std::move(sessions)}};
  } catch (...) {
    return error_json("out of memory");
  }
}

std::int64_t Store::span_count() noexcept {
  std::lock_guard<std::mutex> lock(read_mutex_);
  Statement query(reader_, "SELECT count(*) FROM spans");
  return query.step() == SQLITE_ROW ? query.column_integer(0) : -1;
}

}  // namespace honeyhive::hhlocal
