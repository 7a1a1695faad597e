#pragma once

// hh-local's SQLite store: sessions, spans (with JSON columns for the structured fields, the raw
// attributes and the span events), and the queries behind the /api endpoints.
//
// Durability: WAL journal, one transaction per request. A write returns only after COMMIT, and in
// WAL mode COMMIT has appended the transaction to the -wal file through write(2): from then on it is
// in the kernel's page cache, so killing the process (kill -9 included) cannot lose it; the next open
// replays the WAL. synchronous=NORMAL skips the fsync per commit: what it gives up is only the last
// transactions on a power cut or kernel crash, never consistency (the WAL checksums each frame).
// StoreOptions::synchronous_full adds that fsync (synchronous=FULL) for a machine-crash guarantee.
//
// Thread-safe: writes are serialised on one connection, reads on a second one (WAL lets them run
// while a write is in progress).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "records.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace honeyhive::hhlocal {

struct StoreOptions {
  bool synchronous_full = false;
};

struct WriteResult {
  bool ok = false;
  std::size_t inserted = 0;    // new spans stored
  std::size_t duplicates = 0;  // spans already stored (a retried request), left unchanged
  std::string error;
};

struct SessionQuery {
  std::string project;  // "" = any
  std::string text;     // "" = any; else a substring of the session name or of any span name
  std::string run_id;   // "" = any
  std::int64_t limit = 100;
  std::int64_t offset = 0;
};

class Store {
 public:
  // Opens or creates the database at `path` (WAL mode, schema created if missing). Null (and
  // `error` set) when the file cannot be opened or is not a database hh-local can use.
  static std::unique_ptr<Store> open(const std::string& path, std::string& error,
                                     const StoreOptions& options = {}) noexcept;
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Stores `records` in one transaction. A record whose (trace id, span id) is already stored is
  // left as it is (a retried export stores nothing twice), except with `merge_existing` (session
  // starts), where its fields are merged into the stored row.
  WriteResult insert(const std::vector<SpanRecord>& records, bool merge_existing = false) noexcept;

  // An update of an event's fields (PUT /v1/events/{event_id}): outputs, metadata, metrics, feedback,
  // config, user_properties are merged (top-level keys replaced), end_time/duration move the end. An
  // unknown id gets a placeholder session event (sessions are updated by their session id).
  WriteResult update_event(const std::string& event_id, const nlohmann::json& update) noexcept;

  // The /api payloads (README.md of tools/hh-local). Nullopt for an unknown id. On a database error the
  // result is {"error": "..."}.
  nlohmann::json projects() noexcept;
  nlohmann::json sessions(const SessionQuery& query) noexcept;
  std::optional<nlohmann::json> session(const std::string& session_id) noexcept;
  nlohmann::json runs() noexcept;
  std::optional<nlohmann::json> run(const std::string& run_id) noexcept;

  // How many spans are stored (for tests and the health endpoint).
  std::int64_t span_count() noexcept;

 private:
  Store() = default;
  bool insert_locked(const std::vector<SpanRecord>& records, bool merge_existing, WriteResult& result);
  bool merge_into_row(const SpanRecord& record, WriteResult& result);
  bool upsert_sessions(const std::vector<const SpanRecord*>& added);

  sqlite3* writer_ = nullptr;
  sqlite3* reader_ = nullptr;
  std::mutex write_mutex_;
  std::mutex read_mutex_;
};

}  // namespace honeyhive::hhlocal
