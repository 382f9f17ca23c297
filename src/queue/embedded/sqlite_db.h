// SPDX-License-Identifier: Apache-2.0
//
// File: queue/embedded/sqlite_db.h
//
// A thin RAII layer over the SQLite C API for the embedded queue: one
// connection, prepared statements bound by position, errors as absl::Status
// naming the database file. Internal to ebb_queue_embedded.
//
// Threading: thread-compatible (the queue serializes all use with its mutex).
#ifndef EBB_QUEUE_EMBEDDED_SQLITE_DB_H_
#define EBB_QUEUE_EMBEDDED_SQLITE_DB_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

struct sqlite3;
struct sqlite3_stmt;

namespace ebb::queue::embedded {

class SqliteDb;

// A prepared statement. Bind parameters are 1-based; Step returns true while a
// row is available.
class Statement {
 public:
  Statement(SqliteDb* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~Statement();
  Statement(Statement&& o) noexcept : db_(o.db_), stmt_(o.stmt_) {
    o.stmt_ = nullptr;
  }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& Bind(int i, int64_t v);
  Statement& Bind(int i, std::string_view text);  // TEXT
  Statement& BindBlob(int i, std::string_view bytes);
  Statement& BindNull(int i);

  absl::StatusOr<bool> Step();
  // Steps to completion (for INSERT/UPDATE/DELETE without RETURNING).
  absl::Status Run();

  int64_t Int(int col) const;
  std::string Text(int col) const;  // TEXT or BLOB bytes; "" for NULL
  bool IsNull(int col) const;

 private:
  SqliteDb* db_;
  sqlite3_stmt* stmt_;
};

class SqliteDb {
 public:
  // Opens (creating) `path`. Internal naming the path on failure.
  static absl::StatusOr<std::unique_ptr<SqliteDb>> Open(
      const std::string& path);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  absl::Status Exec(const std::string& sql);
  absl::StatusOr<Statement> Prepare(const std::string& sql);
  int64_t Changes() const;

  // An error for SQLite result `rc` with the connection's message.
  absl::Status Error(int rc, const std::string& what) const;
  const std::string& path() const { return path_; }

 private:
  SqliteDb(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  sqlite3* db_;
  std::string path_;
};

// BEGIN IMMEDIATE on construction; ROLLBACK on destruction unless Commit().
class Transaction {
 public:
  explicit Transaction(SqliteDb* db) : db_(db) {}
  ~Transaction();
  absl::Status Begin();
  absl::Status Commit();

 private:
  SqliteDb* db_;
  bool open_ = false;
};

}  // namespace ebb::queue::embedded

#endif  // EBB_QUEUE_EMBEDDED_SQLITE_DB_H_
