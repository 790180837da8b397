// Ferro's native engine: a SQLite connection owned by C++ that steps statements itself and
// hands each row's cells straight to a generated JS function as call arguments, so no
// intermediate row arrays are built for hydration. It also fills typed-array columns for
// the lazy columnar results. Errors carry better-sqlite3's `code` spelling so one error
// translator serves both engines.
#include <napi.h>
#include <sqlite3.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

namespace {

const char* PrimaryCodeName(int code) {
  switch (code & 0xff) {
    case SQLITE_ERROR: return "SQLITE_ERROR";
    case SQLITE_INTERNAL: return "SQLITE_INTERNAL";
    case SQLITE_PERM: return "SQLITE_PERM";
    case SQLITE_ABORT: return "SQLITE_ABORT";
    case SQLITE_BUSY: return "SQLITE_BUSY";
    case SQLITE_LOCKED: return "SQLITE_LOCKED";
    case SQLITE_NOMEM: return "SQLITE_NOMEM";
    case SQLITE_READONLY: return "SQLITE_READONLY";
    case SQLITE_INTERRUPT: return "SQLITE_INTERRUPT";
    case SQLITE_IOERR: return "SQLITE_IOERR";
    case SQLITE_CORRUPT: return "SQLITE_CORRUPT";
    case SQLITE_NOTFOUND: return "SQLITE_NOTFOUND";
    case SQLITE_FULL: return "SQLITE_FULL";
    case SQLITE_CANTOPEN: return "SQLITE_CANTOPEN";
    case SQLITE_PROTOCOL: return "SQLITE_PROTOCOL";
    case SQLITE_EMPTY: return "SQLITE_EMPTY";
    case SQLITE_SCHEMA: return "SQLITE_SCHEMA";
    case SQLITE_TOOBIG: return "SQLITE_TOOBIG";
    case SQLITE_CONSTRAINT: return "SQLITE_CONSTRAINT";
    case SQLITE_MISMATCH: return "SQLITE_MISMATCH";
    case SQLITE_MISUSE: return "SQLITE_MISUSE";
    case SQLITE_NOLFS: return "SQLITE_NOLFS";
    case SQLITE_AUTH: return "SQLITE_AUTH";
    case SQLITE_FORMAT: return "SQLITE_FORMAT";
    case SQLITE_RANGE: return "SQLITE_RANGE";
    case SQLITE_NOTADB: return "SQLITE_NOTADB";
    default: return "SQLITE_ERROR";
  }
}

// Extended result codes keep their names, as better-sqlite3 reports them (Ferro's error
// classes key on them); anything else gets its primary code's name.
std::string CodeName(int extended) {
  switch (extended) {
#ifdef SQLITE_ERROR_MISSING_COLLSEQ
    case SQLITE_ERROR_MISSING_COLLSEQ: return "SQLITE_ERROR_MISSING_COLLSEQ";
#endif
#ifdef SQLITE_ERROR_RETRY
    case SQLITE_ERROR_RETRY: return "SQLITE_ERROR_RETRY";
#endif
#ifdef SQLITE_ERROR_SNAPSHOT
    case SQLITE_ERROR_SNAPSHOT: return "SQLITE_ERROR_SNAPSHOT";
#endif
#ifdef SQLITE_ERROR_RESERVESIZE
    case SQLITE_ERROR_RESERVESIZE: return "SQLITE_ERROR_RESERVESIZE";
#endif
#ifdef SQLITE_ERROR_KEY
    case SQLITE_ERROR_KEY: return "SQLITE_ERROR_KEY";
#endif
#ifdef SQLITE_ERROR_UNABLE
    case SQLITE_ERROR_UNABLE: return "SQLITE_ERROR_UNABLE";
#endif
#ifdef SQLITE_IOERR_READ
    case SQLITE_IOERR_READ: return "SQLITE_IOERR_READ";
#endif
#ifdef SQLITE_IOERR_SHORT_READ
    case SQLITE_IOERR_SHORT_READ: return "SQLITE_IOERR_SHORT_READ";
#endif
#ifdef SQLITE_IOERR_WRITE
    case SQLITE_IOERR_WRITE: return "SQLITE_IOERR_WRITE";
#endif
#ifdef SQLITE_IOERR_FSYNC
    case SQLITE_IOERR_FSYNC: return "SQLITE_IOERR_FSYNC";
#endif
#ifdef SQLITE_IOERR_DIR_FSYNC
    case SQLITE_IOERR_DIR_FSYNC: return "SQLITE_IOERR_DIR_FSYNC";
#endif
#ifdef SQLITE_IOERR_TRUNCATE
    case SQLITE_IOERR_TRUNCATE: return "SQLITE_IOERR_TRUNCATE";
#endif
#ifdef SQLITE_IOERR_FSTAT
    case SQLITE_IOERR_FSTAT: return "SQLITE_IOERR_FSTAT";
#endif
#ifdef SQLITE_IOERR_UNLOCK
    case SQLITE_IOERR_UNLOCK: return "SQLITE_IOERR_UNLOCK";
#endif
#ifdef SQLITE_IOERR_RDLOCK
    case SQLITE_IOERR_RDLOCK: return "SQLITE_IOERR_RDLOCK";
#endif
#ifdef SQLITE_IOERR_DELETE
    case SQLITE_IOERR_DELETE: return "SQLITE_IOERR_DELETE";
#endif
#ifdef SQLITE_IOERR_BLOCKED
    case SQLITE_IOERR_BLOCKED: return "SQLITE_IOERR_BLOCKED";
#endif
#ifdef SQLITE_IOERR_NOMEM
    case SQLITE_IOERR_NOMEM: return "SQLITE_IOERR_NOMEM";
#endif
#ifdef SQLITE_IOERR_ACCESS
    case SQLITE_IOERR_ACCESS: return "SQLITE_IOERR_ACCESS";
#endif
#ifdef SQLITE_IOERR_CHECKRESERVEDLOCK
    case SQLITE_IOERR_CHECKRESERVEDLOCK: return "SQLITE_IOERR_CHECKRESERVEDLOCK";
#endif
#ifdef SQLITE_IOERR_LOCK
    case SQLITE_IOERR_LOCK: return "SQLITE_IOERR_LOCK";
#endif
#ifdef SQLITE_IOERR_CLOSE
    case SQLITE_IOERR_CLOSE: return "SQLITE_IOERR_CLOSE";
#endif
#ifdef SQLITE_IOERR_DIR_CLOSE
    case SQLITE_IOERR_DIR_CLOSE: return "SQLITE_IOERR_DIR_CLOSE";
#endif
#ifdef SQLITE_IOERR_SHMOPEN
    case SQLITE_IOERR_SHMOPEN: return "SQLITE_IOERR_SHMOPEN";
#endif
#ifdef SQLITE_IOERR_SHMSIZE
    case SQLITE_IOERR_SHMSIZE: return "SQLITE_IOERR_SHMSIZE";
#endif
#ifdef SQLITE_IOERR_SHMLOCK
    case SQLITE_IOERR_SHMLOCK: return "SQLITE_IOERR_SHMLOCK";
#endif
#ifdef SQLITE_IOERR_SHMMAP
    case SQLITE_IOERR_SHMMAP: return "SQLITE_IOERR_SHMMAP";
#endif
#ifdef SQLITE_IOERR_SEEK
    case SQLITE_IOERR_SEEK: return "SQLITE_IOERR_SEEK";
#endif
#ifdef SQLITE_IOERR_DELETE_NOENT
    case SQLITE_IOERR_DELETE_NOENT: return "SQLITE_IOERR_DELETE_NOENT";
#endif
#ifdef SQLITE_IOERR_MMAP
    case SQLITE_IOERR_MMAP: return "SQLITE_IOERR_MMAP";
#endif
#ifdef SQLITE_IOERR_GETTEMPPATH
    case SQLITE_IOERR_GETTEMPPATH: return "SQLITE_IOERR_GETTEMPPATH";
#endif
#ifdef SQLITE_IOERR_CONVPATH
    case SQLITE_IOERR_CONVPATH: return "SQLITE_IOERR_CONVPATH";
#endif
#ifdef SQLITE_IOERR_VNODE
    case SQLITE_IOERR_VNODE: return "SQLITE_IOERR_VNODE";
#endif
#ifdef SQLITE_IOERR_AUTH
    case SQLITE_IOERR_AUTH: return "SQLITE_IOERR_AUTH";
#endif
#ifdef SQLITE_IOERR_BEGIN_ATOMIC
    case SQLITE_IOERR_BEGIN_ATOMIC: return "SQLITE_IOERR_BEGIN_ATOMIC";
#endif
#ifdef SQLITE_IOERR_COMMIT_ATOMIC
    case SQLITE_IOERR_COMMIT_ATOMIC: return "SQLITE_IOERR_COMMIT_ATOMIC";
#endif
#ifdef SQLITE_IOERR_ROLLBACK_ATOMIC
    case SQLITE_IOERR_ROLLBACK_ATOMIC: return "SQLITE_IOERR_ROLLBACK_ATOMIC";
#endif
#ifdef SQLITE_IOERR_DATA
    case SQLITE_IOERR_DATA: return "SQLITE_IOERR_DATA";
#endif
#ifdef SQLITE_IOERR_CORRUPTFS
    case SQLITE_IOERR_CORRUPTFS: return "SQLITE_IOERR_CORRUPTFS";
#endif
#ifdef SQLITE_IOERR_IN_PAGE
    case SQLITE_IOERR_IN_PAGE: return "SQLITE_IOERR_IN_PAGE";
#endif
#ifdef SQLITE_IOERR_BADKEY
    case SQLITE_IOERR_BADKEY: return "SQLITE_IOERR_BADKEY";
#endif
#ifdef SQLITE_IOERR_CODEC
    case SQLITE_IOERR_CODEC: return "SQLITE_IOERR_CODEC";
#endif
#ifdef SQLITE_LOCKED_SHAREDCACHE
    case SQLITE_LOCKED_SHAREDCACHE: return "SQLITE_LOCKED_SHAREDCACHE";
#endif
#ifdef SQLITE_LOCKED_VTAB
    case SQLITE_LOCKED_VTAB: return "SQLITE_LOCKED_VTAB";
#endif
#ifdef SQLITE_BUSY_RECOVERY
    case SQLITE_BUSY_RECOVERY: return "SQLITE_BUSY_RECOVERY";
#endif
#ifdef SQLITE_BUSY_SNAPSHOT
    case SQLITE_BUSY_SNAPSHOT: return "SQLITE_BUSY_SNAPSHOT";
#endif
#ifdef SQLITE_BUSY_TIMEOUT
    case SQLITE_BUSY_TIMEOUT: return "SQLITE_BUSY_TIMEOUT";
#endif
#ifdef SQLITE_CANTOPEN_NOTEMPDIR
    case SQLITE_CANTOPEN_NOTEMPDIR: return "SQLITE_CANTOPEN_NOTEMPDIR";
#endif
#ifdef SQLITE_CANTOPEN_ISDIR
    case SQLITE_CANTOPEN_ISDIR: return "SQLITE_CANTOPEN_ISDIR";
#endif
#ifdef SQLITE_CANTOPEN_FULLPATH
    case SQLITE_CANTOPEN_FULLPATH: return "SQLITE_CANTOPEN_FULLPATH";
#endif
#ifdef SQLITE_CANTOPEN_CONVPATH
    case SQLITE_CANTOPEN_CONVPATH: return "SQLITE_CANTOPEN_CONVPATH";
#endif
#ifdef SQLITE_CANTOPEN_DIRTYWAL
    case SQLITE_CANTOPEN_DIRTYWAL: return "SQLITE_CANTOPEN_DIRTYWAL";
#endif
#ifdef SQLITE_CANTOPEN_SYMLINK
    case SQLITE_CANTOPEN_SYMLINK: return "SQLITE_CANTOPEN_SYMLINK";
#endif
#ifdef SQLITE_CORRUPT_VTAB
    case SQLITE_CORRUPT_VTAB: return "SQLITE_CORRUPT_VTAB";
#endif
#ifdef SQLITE_CORRUPT_SEQUENCE
    case SQLITE_CORRUPT_SEQUENCE: return "SQLITE_CORRUPT_SEQUENCE";
#endif
#ifdef SQLITE_CORRUPT_INDEX
    case SQLITE_CORRUPT_INDEX: return "SQLITE_CORRUPT_INDEX";
#endif
#ifdef SQLITE_READONLY_RECOVERY
    case SQLITE_READONLY_RECOVERY: return "SQLITE_READONLY_RECOVERY";
#endif
#ifdef SQLITE_READONLY_CANTLOCK
    case SQLITE_READONLY_CANTLOCK: return "SQLITE_READONLY_CANTLOCK";
#endif
#ifdef SQLITE_READONLY_ROLLBACK
    case SQLITE_READONLY_ROLLBACK: return "SQLITE_READONLY_ROLLBACK";
#endif
#ifdef SQLITE_READONLY_DBMOVED
    case SQLITE_READONLY_DBMOVED: return "SQLITE_READONLY_DBMOVED";
#endif
#ifdef SQLITE_READONLY_CANTINIT
    case SQLITE_READONLY_CANTINIT: return "SQLITE_READONLY_CANTINIT";
#endif
#ifdef SQLITE_READONLY_DIRECTORY
    case SQLITE_READONLY_DIRECTORY: return "SQLITE_READONLY_DIRECTORY";
#endif
#ifdef SQLITE_ABORT_ROLLBACK
    case SQLITE_ABORT_ROLLBACK: return "SQLITE_ABORT_ROLLBACK";
#endif
#ifdef SQLITE_CONSTRAINT_CHECK
    case SQLITE_CONSTRAINT_CHECK: return "SQLITE_CONSTRAINT_CHECK";
#endif
#ifdef SQLITE_CONSTRAINT_COMMITHOOK
    case SQLITE_CONSTRAINT_COMMITHOOK: return "SQLITE_CONSTRAINT_COMMITHOOK";
#endif
#ifdef SQLITE_CONSTRAINT_FOREIGNKEY
    case SQLITE_CONSTRAINT_FOREIGNKEY: return "SQLITE_CONSTRAINT_FOREIGNKEY";
#endif
#ifdef SQLITE_CONSTRAINT_FUNCTION
    case SQLITE_CONSTRAINT_FUNCTION: return "SQLITE_CONSTRAINT_FUNCTION";
#endif
#ifdef SQLITE_CONSTRAINT_NOTNULL
    case SQLITE_CONSTRAINT_NOTNULL: return "SQLITE_CONSTRAINT_NOTNULL";
#endif
#ifdef SQLITE_CONSTRAINT_PRIMARYKEY
    case SQLITE_CONSTRAINT_PRIMARYKEY: return "SQLITE_CONSTRAINT_PRIMARYKEY";
#endif
#ifdef SQLITE_CONSTRAINT_TRIGGER
    case SQLITE_CONSTRAINT_TRIGGER: return "SQLITE_CONSTRAINT_TRIGGER";
#endif
#ifdef SQLITE_CONSTRAINT_UNIQUE
    case SQLITE_CONSTRAINT_UNIQUE: return "SQLITE_CONSTRAINT_UNIQUE";
#endif
#ifdef SQLITE_CONSTRAINT_VTAB
    case SQLITE_CONSTRAINT_VTAB: return "SQLITE_CONSTRAINT_VTAB";
#endif
#ifdef SQLITE_CONSTRAINT_ROWID
    case SQLITE_CONSTRAINT_ROWID: return "SQLITE_CONSTRAINT_ROWID";
#endif
#ifdef SQLITE_CONSTRAINT_PINNED
    case SQLITE_CONSTRAINT_PINNED: return "SQLITE_CONSTRAINT_PINNED";
#endif
#ifdef SQLITE_CONSTRAINT_DATATYPE
    case SQLITE_CONSTRAINT_DATATYPE: return "SQLITE_CONSTRAINT_DATATYPE";
#endif
#ifdef SQLITE_NOTICE_RECOVER_WAL
    case SQLITE_NOTICE_RECOVER_WAL: return "SQLITE_NOTICE_RECOVER_WAL";
#endif
#ifdef SQLITE_NOTICE_RECOVER_ROLLBACK
    case SQLITE_NOTICE_RECOVER_ROLLBACK: return "SQLITE_NOTICE_RECOVER_ROLLBACK";
#endif
#ifdef SQLITE_NOTICE_RBU
    case SQLITE_NOTICE_RBU: return "SQLITE_NOTICE_RBU";
#endif
#ifdef SQLITE_WARNING_AUTOINDEX
    case SQLITE_WARNING_AUTOINDEX: return "SQLITE_WARNING_AUTOINDEX";
#endif
#ifdef SQLITE_AUTH_USER
    case SQLITE_AUTH_USER: return "SQLITE_AUTH_USER";
#endif
#ifdef SQLITE_OK_LOAD_PERMANENTLY
    case SQLITE_OK_LOAD_PERMANENTLY: return "SQLITE_OK_LOAD_PERMANENTLY";
#endif
#ifdef SQLITE_OK_SYMLINK
    case SQLITE_OK_SYMLINK: return "SQLITE_OK_SYMLINK";
#endif
    default: return PrimaryCodeName(extended);
  }
}

napi_value MakeError(napi_env env, const std::string& message, const std::string& code) {
  napi_value msg, err, codeValue;
  napi_create_string_utf8(env, message.c_str(), message.size(), &msg);
  napi_create_error(env, nullptr, msg, &err);
  napi_create_string_utf8(env, code.c_str(), code.size(), &codeValue);
  napi_set_named_property(env, err, "code", codeValue);
  napi_value name;
  napi_create_string_utf8(env, "SqliteError", NAPI_AUTO_LENGTH, &name);
  napi_set_named_property(env, err, "name", name);
  return err;
}

class Statement;

// The classes' constructors, per environment: the addon may be loaded by several worker
// threads, and each must build objects from its own references.
struct AddonData {
  Napi::FunctionReference database;
  Napi::FunctionReference statement;
};

class Database : public Napi::ObjectWrap<Database> {
 public:
  sqlite3* db = nullptr;
  // Statements currently stepping: closing the connection under them is refused.
  int executing = 0;
  // A JS exception thrown by a registered function while SQLite stepped: rethrown as is.
  Napi::Reference<Napi::Value> pending;
  bool hasPending = false;

  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "NativeDatabase",
                       {
                           InstanceMethod("close", &Database::Close),
                           InstanceMethod("exec", &Database::Exec),
                           InstanceMethod("prepare", &Database::Prepare),
                           InstanceMethod("function", &Database::Function),
                           InstanceMethod("changes", &Database::Changes),
                           InstanceMethod("lastInsertRowid", &Database::LastInsertRowid),
                           InstanceAccessor("open", &Database::IsOpen, nullptr),
                           InstanceAccessor("inTransaction", &Database::InTransaction, nullptr),
                       });
  }

  Database(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Database>(info) {
    Napi::Env env = info.Env();
    std::string filename = info[0].As<Napi::String>().Utf8Value();
    bool readonly = info[1].ToBoolean().Value();
    int timeout = info.Length() > 2 && info[2].IsNumber() ? info[2].As<Napi::Number>().Int32Value() : 5000;
    int flags = readonly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    int rc = sqlite3_open_v2(filename.c_str(), &db, flags, nullptr);
    if (rc != SQLITE_OK) {
      std::string message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
      int extended = db != nullptr ? sqlite3_extended_errcode(db) : rc;
      sqlite3_close_v2(db);
      db = nullptr;
      Napi::Error(env, MakeError(env, message, CodeName(extended))).ThrowAsJavaScriptException();
      return;
    }
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, timeout);
    sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  }

  ~Database() {
    if (db != nullptr) sqlite3_close_v2(db);
  }

  bool CheckOpen(Napi::Env env) {
    if (db == nullptr) {
      Napi::Error(env, MakeError(env, "The database connection is not open", "SQLITE_MISUSE")).ThrowAsJavaScriptException();
      return false;
    }
    return true;
  }

  // Throws the pending JS exception if a registered function threw, else SQLite's error.
  void ThrowLast(Napi::Env env) {
    if (hasPending) {
      hasPending = false;
      Napi::Value error = pending.Value();
      pending.Reset();
      napi_throw(env, error);
      return;
    }
    napi_throw(env, MakeError(env, sqlite3_errmsg(db), CodeName(sqlite3_extended_errcode(db))));
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    if (executing > 0) {
      napi_throw(info.Env(), MakeError(info.Env(), "The database connection is busy executing a query", "SQLITE_BUSY"));
      return Napi::Value();
    }
    if (db != nullptr) {
      // close_v2 defers the real close until every statement is finalized (on their GC).
      sqlite3_close_v2(db);
      db = nullptr;
    }
    return info.Env().Undefined();
  }

  Napi::Value IsOpen(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), db != nullptr); }

  Napi::Value InTransaction(const Napi::CallbackInfo& info) {
    return Napi::Boolean::New(info.Env(), db != nullptr && sqlite3_get_autocommit(db) == 0);
  }

  Napi::Value Changes(const Napi::CallbackInfo& info) {
    if (!CheckOpen(info.Env())) return info.Env().Undefined();
    return Napi::Number::New(info.Env(), static_cast<double>(sqlite3_changes64(db)));
  }

  Napi::Value LastInsertRowid(const Napi::CallbackInfo& info) {
    if (!CheckOpen(info.Env())) return info.Env().Undefined();
    return Napi::BigInt::New(info.Env(), static_cast<int64_t>(sqlite3_last_insert_rowid(db)));
  }

  Napi::Value Exec(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!CheckOpen(env)) return env.Undefined();
    std::string sql = info[0].As<Napi::String>().Utf8Value();
    int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) ThrowLast(env);
    return env.Undefined();
  }

  Napi::Value Prepare(const Napi::CallbackInfo& info);
  Napi::Value Function(const Napi::CallbackInfo& info);
};


// ---- cells -------------------------------------------------------------------------------

// ASCII text can be handed to V8 as Latin-1, skipping UTF-8 decoding (most cells are ASCII).
inline bool IsAscii(const char* text, int bytes) {
  int i = 0;
  for (; i + 8 <= bytes; i += 8) {
    uint64_t word;
    std::memcpy(&word, text + i, 8);
    if (word & 0x8080808080808080ULL) return false;
  }
  for (; i < bytes; i++)
    if (static_cast<unsigned char>(text[i]) & 0x80) return false;
  return true;
}

inline napi_value TextValue(napi_env env, const char* text, int bytes) {
  napi_value value;
  if (IsAscii(text, bytes)) napi_create_string_latin1(env, text, bytes, &value);
  else napi_create_string_utf8(env, text, bytes, &value);
  return value;
}

// Parses exactly `YYYY-MM-DDTHH:MM:SS.sssZ` (what Ferro writes, Date#toISOString) into epoch
// milliseconds, as `new Date(text)` would. Anything else returns false and stays text.
inline bool ParseIsoUtc(const char* t, int bytes, double* out) {
  if (bytes != 24 || t[4] != '-' || t[7] != '-' || t[10] != 'T' || t[13] != ':' || t[16] != ':' || t[19] != '.' ||
      t[23] != 'Z')
    return false;
  static const int digits[] = {0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 22};
  for (int index : digits)
    if (t[index] < '0' || t[index] > '9') return false;
  auto num = [t](int from, int count) {
    int n = 0;
    for (int i = from; i < from + count; i++) n = n * 10 + (t[i] - '0');
    return n;
  };
  int64_t year = num(0, 4);
  int month = num(5, 2), day = num(8, 2), hour = num(11, 2), minute = num(14, 2), second = num(17, 2), ms = num(20, 3);
  static const int monthDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (month < 1 || month > 12 || day < 1 || day > monthDays[month - 1] + (month == 2 && leap ? 1 : 0) || hour > 23 ||
      minute > 59 || second > 59)
    return false;
  // Days from the civil date (H. Hinnant's algorithm), proleptic Gregorian like JS Date.
  int64_t y = year - (month <= 2 ? 1 : 0);
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  int64_t days = era * 146097 + doe - 719468;
  *out = static_cast<double>(((days * 24 + hour) * 60 + minute) * 60 * 1000 + second * 1000 + ms);
  return true;
}

// A SQLite value (a result column or a function argument) as a JS value, the way
// better-sqlite3 converts it: integers as numbers (bigints when asked), blobs as Buffer copies.
inline napi_value ValueCell(napi_env env, sqlite3_value* v, bool bigints) {
  napi_value value;
  switch (sqlite3_value_type(v)) {
    case SQLITE_INTEGER:
      if (bigints) napi_create_bigint_int64(env, sqlite3_value_int64(v), &value);
      else napi_create_double(env, static_cast<double>(sqlite3_value_int64(v)), &value);
      return value;
    case SQLITE_FLOAT:
      napi_create_double(env, sqlite3_value_double(v), &value);
      return value;
    case SQLITE_TEXT:
      return TextValue(env, reinterpret_cast<const char*>(sqlite3_value_text(v)), sqlite3_value_bytes(v));
    case SQLITE_BLOB: {
      int bytes = sqlite3_value_bytes(v);
      const void* blob = sqlite3_value_blob(v);
      void* data;
      napi_create_buffer_copy(env, bytes, bytes > 0 ? blob : "", &data, &value);
      return value;
    }
    default:
      napi_get_null(env, &value);
      return value;
  }
}

inline napi_value CellValue(napi_env env, sqlite3_stmt* stmt, int i, bool bigints) {
  return ValueCell(env, sqlite3_column_value(stmt, i), bigints);
}

// Binds one JS value as better-sqlite3 does: numbers as doubles, bigints as 64-bit integers,
// strings as UTF-8 text, byte views as blobs, null/undefined as NULL. Returns false (with a
// TypeError thrown) for anything else.
bool BindValue(napi_env env, sqlite3_stmt* stmt, int index, napi_value value) {
  napi_valuetype type;
  napi_typeof(env, value, &type);
  int rc = SQLITE_OK;
  switch (type) {
    case napi_null:
    case napi_undefined:
      rc = sqlite3_bind_null(stmt, index);
      break;
    case napi_number: {
      double d;
      napi_get_value_double(env, value, &d);
      rc = sqlite3_bind_double(stmt, index, d);
      break;
    }
    case napi_bigint: {
      int64_t n;
      bool lossless;
      napi_get_value_bigint_int64(env, value, &n, &lossless);
      if (!lossless) {
        napi_throw_range_error(env, nullptr, "The bound bigint is too large to be a 64-bit integer");
        return false;
      }
      rc = sqlite3_bind_int64(stmt, index, n);
      break;
    }
    case napi_string: {
      size_t length;
      napi_get_value_string_utf8(env, value, nullptr, 0, &length);
      char* text = static_cast<char*>(sqlite3_malloc64(length + 1));
      napi_get_value_string_utf8(env, value, text, length + 1, &length);
      rc = sqlite3_bind_text64(stmt, index, text, length, sqlite3_free, SQLITE_UTF8);
      break;
    }
    case napi_object: {
      bool isTyped = false;
      napi_is_typedarray(env, value, &isTyped);
      if (isTyped) {
        napi_typedarray_type arrayType;
        size_t length, offset;
        void* data;
        napi_value buffer;
        napi_get_typedarray_info(env, value, &arrayType, &length, &data, &buffer, &offset);
        if (arrayType == napi_uint8_array || arrayType == napi_uint8_clamped_array || arrayType == napi_int8_array) {
          rc = sqlite3_bind_blob64(stmt, index, length > 0 ? data : "", length, SQLITE_TRANSIENT);
          break;
        }
      }
      napi_throw_type_error(env, nullptr, "SQLite can only bind numbers, strings, bigints, byte arrays and null");
      return false;
    }
    default:
      napi_throw_type_error(env, nullptr, "SQLite can only bind numbers, strings, bigints, byte arrays and null");
      return false;
  }
  if (rc != SQLITE_OK) {
    napi_throw_range_error(env, nullptr, sqlite3_errstr(rc));
    return false;
  }
  return true;
}

// ---- statements --------------------------------------------------------------------------

class Statement : public Napi::ObjectWrap<Statement> {
 public:
  sqlite3_stmt* stmt = nullptr;
  Database* database = nullptr;
  Napi::ObjectReference databaseRef;  // keeps the connection alive while statements are
  // Whether the statement is stepping (a row callback or SQL function may try to reuse it),
  // and whether finalize() was asked for meanwhile.
  bool busy = false;
  bool finalizePending = false;

  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "NativeStatement",
                       {
                           InstanceMethod("each", &Statement::Each),
                           InstanceMethod("step", &Statement::Step),
                           InstanceMethod("reset", &Statement::Reset),
                           InstanceMethod("run", &Statement::Run),
                           InstanceMethod("columnar", &Statement::Columnar),
                           InstanceMethod("columns", &Statement::Columns),
                           InstanceMethod("finalize", &Statement::Finalize),
                           InstanceAccessor("reader", &Statement::Reader, nullptr),
                           InstanceAccessor("readonly", &Statement::ReadOnly, nullptr),
                           InstanceAccessor("callbackFailed", &Statement::CallbackFailed, nullptr),
                       });
  }

  Statement(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Statement>(info) {}

  ~Statement() {
    if (stmt != nullptr) sqlite3_finalize(stmt);
  }

  bool Ready(napi_env env) {
    if (stmt == nullptr || database == nullptr || database->db == nullptr) {
      napi_throw(env, MakeError(env, "The statement's database connection is not open", "SQLITE_MISUSE"));
      return false;
    }
    if (busy) {
      napi_throw(env, MakeError(env, "This statement is busy executing a query", "SQLITE_MISUSE"));
      return false;
    }
    return true;
  }

  // Marks the statement (and its connection) as stepping until End().
  void Begin() {
    busy = true;
    database->executing++;
  }

  void End() {
    busy = false;
    database->executing--;
    if (finalizePending) {
      finalizePending = false;
      sqlite3_finalize(stmt);
      stmt = nullptr;
    }
  }

  // Resets and binds `params` (a JS array). On failure a JS exception is pending.
  bool BindAll(napi_env env, napi_value params) {
    // An exception a function raised in an earlier statement that SQLite did not report
    // must not surface as this statement's error.
    if (database->hasPending) {
      database->hasPending = false;
      database->pending.Reset();
    }
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    uint32_t length = 0;
    bool isArray = false;
    napi_is_array(env, params, &isArray);
    if (isArray) napi_get_array_length(env, params, &length);
    int expected = sqlite3_bind_parameter_count(stmt);
    if (static_cast<int>(length) != expected) {
      std::string message = "Too " + std::string(static_cast<int>(length) > expected ? "many" : "few") +
                            " parameter values were provided (expected " + std::to_string(expected) + ", got " +
                            std::to_string(length) + ")";
      napi_throw(env, MakeError(env, message, "SQLITE_RANGE"));
      return false;
    }
    for (uint32_t i = 0; i < length; i++) {
      napi_value value;
      napi_get_element(env, params, i, &value);
      if (!BindValue(env, stmt, static_cast<int>(i) + 1, value)) return false;
    }
    return true;
  }

  void Fail(napi_env env) {
    sqlite3_reset(stmt);
    database->ThrowLast(env);
  }

  // Live counts: SQLite re-prepares a statement after a schema change, and `SELECT *` may then
  // return other columns than when it was first prepared.
  int ColumnCount() { return stmt == nullptr ? 0 : sqlite3_column_count(stmt); }

  Napi::Value Reader(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), ColumnCount() > 0); }

  Napi::Value ReadOnly(const Napi::CallbackInfo& info) {
    return Napi::Boolean::New(info.Env(), stmt != nullptr && sqlite3_stmt_readonly(stmt) != 0);
  }

  Napi::Value Columns(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    int count = ColumnCount();
    Napi::Array names = Napi::Array::New(env, count);
    for (int i = 0; i < count; i++) {
      const char* name = sqlite3_column_name(stmt, i);
      names.Set(i, Napi::String::New(env, name != nullptr ? name : ""));
    }
    return names;
  }

  Napi::Value Finalize(const Napi::CallbackInfo& info) {
    if (busy) {
      finalizePending = true;
      return info.Env().Undefined();
    }
    if (stmt != nullptr) {
      sqlite3_finalize(stmt);
      stmt = nullptr;
    }
    return info.Env().Undefined();
  }

  // run(params): executes to completion, returns the number of rows changed (0 for
  // statements that change none, such as DDL, whatever the previous statement changed).
  Napi::Value Run(const Napi::CallbackInfo& info) {
    napi_env env = info.Env();
    if (!Ready(env) || !BindAll(env, info[0])) return Napi::Value();
    sqlite3* db = database->db;
    sqlite3_int64 totalBefore = sqlite3_total_changes64(db);
    Begin();
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    }
    sqlite3_int64 changes = sqlite3_total_changes64(db) == totalBefore ? 0 : sqlite3_changes64(db);
    End();
    if (rc != SQLITE_DONE) {
      Fail(env);
      return Napi::Value();
    }
    sqlite3_reset(stmt);
    napi_value result;
    napi_create_double(env, static_cast<double>(changes), &result);
    return Napi::Value(env, result);
  }

  // each(params, bigints, fn, epochColumns?): calls fn(cell0, ..., cellN) for every row, with
  // the cells as arguments (no row array). Where epochColumns[i] is 1, an ISO-8601 UTC text
  // cell is handed over as epoch milliseconds (a Date is then built without parsing in JS).
  // Returns the number of rows.
  // When the row callback throws, `each` returns with its exception pending and sets this,
  // so the driver can tell the callback's own errors (passed through) from SQLite's.
  bool callbackFailed = false;

  Napi::Value CallbackFailed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), callbackFailed); }

  Napi::Value Each(const Napi::CallbackInfo& info) {
    napi_env env = info.Env();
    callbackFailed = false;
    if (!Ready(env) || !BindAll(env, info[0])) return Napi::Value();
    bool bigints = info[1].ToBoolean().Value();
    napi_value fn = info[2];
    Napi::Uint8Array hints;
    bool hinted = info.Length() > 3 && info[3].IsTypedArray();
    if (hinted) hints = info[3].As<Napi::Uint8Array>();
    napi_value receiver;
    napi_get_undefined(env, &receiver);
    // The column count is read once the statement has stepped: a schema change re-prepares it.
    int columnCount = -1;
    std::vector<uint8_t> epoch;
    bool anyEpoch = false;
    std::vector<napi_value> argv;
    double rows = 0;
    int rc = SQLITE_ROW;
    Begin();
    while (rc == SQLITE_ROW) {
      napi_handle_scope scope;
      napi_open_handle_scope(env, &scope);
      // A batch of rows per handle scope: scopes are cheap, but not free.
      for (int batch = 0; batch < 256; batch++) {
        rc = sqlite3_step(stmt);
        if (rc != SQLITE_ROW) break;
        if (columnCount < 0) {
          columnCount = sqlite3_column_count(stmt);
          argv.resize(columnCount > 0 ? columnCount : 1);
          epoch.assign(columnCount > 0 ? columnCount : 1, 0);
          for (int i = 0; hinted && i < columnCount && static_cast<size_t>(i) < hints.ElementLength(); i++) {
            epoch[i] = hints[i];
            anyEpoch = anyEpoch || hints[i] != 0;
          }
        }
        for (int i = 0; i < columnCount; i++) {
          double ms;
          if (anyEpoch && epoch[i] != 0 && sqlite3_column_type(stmt, i) == SQLITE_TEXT &&
              ParseIsoUtc(reinterpret_cast<const char*>(sqlite3_column_text(stmt, i)), sqlite3_column_bytes(stmt, i), &ms)) {
            napi_create_double(env, ms, &argv[i]);
          } else {
            argv[i] = CellValue(env, stmt, i, bigints);
          }
        }
        napi_value ignored;
        if (napi_call_function(env, receiver, fn, columnCount, argv.data(), &ignored) != napi_ok) {
          napi_close_handle_scope(env, scope);
          if (stmt != nullptr) sqlite3_reset(stmt);
          callbackFailed = true;
          End();
          return Napi::Value();  // the callback threw; its exception propagates
        }
        rows++;
      }
      napi_close_handle_scope(env, scope);
    }
    End();
    if (stmt == nullptr) {
      napi_throw(env, MakeError(env, "The statement was finalized while it ran", "SQLITE_MISUSE"));
      return Napi::Value();
    }
    if (rc != SQLITE_DONE) {
      Fail(env);
      return Napi::Value();
    }
    sqlite3_reset(stmt);
    napi_value count;
    napi_create_double(env, rows, &count);
    return Napi::Value(env, count);
  }

  // step(params | null, bigints, max, fn): the streaming read. With params, resets the
  // statement and binds them; then steps at most `max` rows, calling fn(cell0, ..., cellN) per
  // row as each() does, and leaves the statement where it stopped, so the next call (params
  // null) goes on from there. Returns the rows stepped: fewer than `max` means the statement
  // is done (it is then reset, releasing its read). A throwing callback resets it too.
  Napi::Value Step(const Napi::CallbackInfo& info) {
    napi_env env = info.Env();
    callbackFailed = false;
    if (!Ready(env)) return Napi::Value();
    if (!info[0].IsNull() && !info[0].IsUndefined() && !BindAll(env, info[0])) return Napi::Value();
    bool bigints = info[1].ToBoolean().Value();
    double max = info[2].As<Napi::Number>().DoubleValue();
    napi_value fn = info[3];
    napi_value receiver;
    napi_get_undefined(env, &receiver);
    std::vector<napi_value> argv;
    double rows = 0;
    int rc = SQLITE_ROW;
    Begin();
    while (rc == SQLITE_ROW && rows < max) {
      napi_handle_scope scope;
      napi_open_handle_scope(env, &scope);
      for (int batch = 0; batch < 256 && rows < max; batch++) {
        rc = sqlite3_step(stmt);
        if (rc != SQLITE_ROW) break;
        int columnCount = sqlite3_column_count(stmt);
        argv.resize(columnCount > 0 ? columnCount : 1);
        for (int i = 0; i < columnCount; i++) argv[i] = CellValue(env, stmt, i, bigints);
        napi_value ignored;
        if (napi_call_function(env, receiver, fn, columnCount, argv.data(), &ignored) != napi_ok) {
          napi_close_handle_scope(env, scope);
          if (stmt != nullptr) sqlite3_reset(stmt);
          callbackFailed = true;
          End();
          return Napi::Value();  // the callback threw; its exception propagates
        }
        rows++;
      }
      napi_close_handle_scope(env, scope);
    }
    End();
    if (stmt == nullptr) {
      napi_throw(env, MakeError(env, "The statement was finalized while it ran", "SQLITE_MISUSE"));
      return Napi::Value();
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
      Fail(env);
      return Napi::Value();
    }
    if (rc == SQLITE_DONE) sqlite3_reset(stmt);
    napi_value count;
    napi_create_double(env, rows, &count);
    return Napi::Value(env, count);
  }

  // reset(): stops a statement step() left part-way, releasing its read.
  Napi::Value Reset(const Napi::CallbackInfo& info) {
    if (!busy && stmt != nullptr) sqlite3_reset(stmt);
    return info.Env().Undefined();
  }

  // columnar(params, kinds): reads every row into typed columns. kinds[i]: 0 = number
  // (Float64Array), 1 = 64-bit integer (BigInt64Array), 2 = text (UTF-8 heap + offsets),
  // 3 = bytes (heap + offsets). Returns { rows, columns: [{ kind, values | heap + offsets,
  // nulls }] }; nulls is a Uint8Array (1 = NULL).
  Napi::Value Columnar(const Napi::CallbackInfo& info) {
    napi_env env = info.Env();
    if (!Ready(env) || !BindAll(env, info[0])) return Napi::Value();
    Napi::Array kindsArray = info[1].As<Napi::Array>();
    // Columnar reads call no JS while stepping, but SQL functions can: guard as each() does.
    Begin();
    int rc = sqlite3_step(stmt);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
      End();
      Fail(env);
      return Napi::Value();
    }
    int columnCount = sqlite3_column_count(stmt);
    if (static_cast<int>(kindsArray.Length()) != columnCount) {
      End();
      sqlite3_reset(stmt);
      napi_throw_range_error(env, nullptr, "columnar(): one kind per result column is needed");
      return Napi::Value();
    }
    std::vector<int> kinds(columnCount);
    for (int i = 0; i < columnCount; i++) kinds[i] = kindsArray.Get(i).As<Napi::Number>().Int32Value();
    std::vector<std::vector<double>> numbers(columnCount);
    std::vector<std::vector<int64_t>> integers(columnCount);
    std::vector<std::string> heaps(columnCount);
    std::vector<std::vector<uint32_t>> offsets(columnCount);
    std::vector<std::vector<uint8_t>> nulls(columnCount);
    for (int i = 0; i < columnCount; i++)
      if (kinds[i] >= 2) offsets[i].push_back(0);
    size_t rows = 0;
    for (; rc == SQLITE_ROW; rc = sqlite3_step(stmt)) {
      for (int i = 0; i < columnCount; i++) {
        bool isNull = sqlite3_column_type(stmt, i) == SQLITE_NULL;
        nulls[i].push_back(isNull ? 1 : 0);
        switch (kinds[i]) {
          case 0:
            numbers[i].push_back(isNull ? 0 : sqlite3_column_double(stmt, i));
            break;
          case 1:
            integers[i].push_back(isNull ? 0 : sqlite3_column_int64(stmt, i));
            break;
          default: {
            if (!isNull) {
              const void* data = kinds[i] == 2 ? static_cast<const void*>(sqlite3_column_text(stmt, i)) : sqlite3_column_blob(stmt, i);
              int bytes = sqlite3_column_bytes(stmt, i);
              if (bytes > 0) heaps[i].append(static_cast<const char*>(data), bytes);
            }
            if (heaps[i].size() > UINT32_MAX) {
              End();
              if (stmt != nullptr) sqlite3_reset(stmt);
              napi_throw_range_error(env, nullptr, "A lazy result column holds more than 4 GiB");
              return Napi::Value();
            }
            offsets[i].push_back(static_cast<uint32_t>(heaps[i].size()));
          }
        }
      }
      rows++;
    }
    End();
    if (stmt == nullptr) {
      napi_throw(env, MakeError(env, "The statement was finalized while it ran", "SQLITE_MISUSE"));
      return Napi::Value();
    }
    if (rc != SQLITE_DONE) {
      Fail(env);
      return Napi::Value();
    }
    sqlite3_reset(stmt);
    Napi::Env e = info.Env();
    Napi::Array columns = Napi::Array::New(e, columnCount);
    for (int i = 0; i < columnCount; i++) {
      Napi::Object column = Napi::Object::New(e);
      column.Set("kind", kinds[i]);
      auto nullBuffer = Napi::ArrayBuffer::New(e, rows);
      if (rows > 0) std::memcpy(nullBuffer.Data(), nulls[i].data(), rows);
      column.Set("nulls", Napi::Uint8Array::New(e, rows, nullBuffer, 0));
      if (kinds[i] == 0) {
        auto buffer = Napi::ArrayBuffer::New(e, rows * sizeof(double));
        if (rows > 0) std::memcpy(buffer.Data(), numbers[i].data(), rows * sizeof(double));
        column.Set("values", Napi::Float64Array::New(e, rows, buffer, 0));
      } else if (kinds[i] == 1) {
        auto buffer = Napi::ArrayBuffer::New(e, rows * sizeof(int64_t));
        if (rows > 0) std::memcpy(buffer.Data(), integers[i].data(), rows * sizeof(int64_t));
        column.Set("values", Napi::BigInt64Array::New(e, rows, buffer, 0));
      } else {
        column.Set("heap", Napi::Buffer<char>::Copy(e, heaps[i].data(), heaps[i].size()));
        auto buffer = Napi::ArrayBuffer::New(e, (rows + 1) * sizeof(uint32_t));
        std::memcpy(buffer.Data(), offsets[i].data(), (rows + 1) * sizeof(uint32_t));
        column.Set("offsets", Napi::Uint32Array::New(e, rows + 1, buffer, 0));
      }
      columns.Set(i, column);
    }
    Napi::Object result = Napi::Object::New(e);
    result.Set("rows", static_cast<double>(rows));
    result.Set("columns", columns);
    return result;
  }
};


Napi::Value Database::Prepare(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return env.Undefined();
  std::string sql = info[0].As<Napi::String>().Utf8Value();
  sqlite3_stmt* stmt = nullptr;
  const char* tail = nullptr;
  int rc = sqlite3_prepare_v3(db, sql.c_str(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt, &tail);
  if (rc != SQLITE_OK) {
    ThrowLast(env);
    return env.Undefined();
  }
  if (stmt == nullptr) {
    napi_throw(env, MakeError(env, "The supplied SQL string contains no statements", "SQLITE_MISUSE"));
    return env.Undefined();
  }
  while (tail != nullptr && *tail != '\0') {
    if (*tail == ';' || *tail == ' ' || *tail == '\n' || *tail == '\t' || *tail == '\r') {
      tail++;
      continue;
    }
    sqlite3_finalize(stmt);
    napi_throw(env, MakeError(env, "The supplied SQL string contains more than one statement", "SQLITE_MISUSE"));
    return env.Undefined();
  }
  Napi::Object object = env.GetInstanceData<AddonData>()->statement.New({});
  Statement* statement = Statement::Unwrap(object);
  statement->stmt = stmt;
  statement->database = this;
  statement->databaseRef = Napi::Persistent(Value());
  return object;
}

// ---- user functions ----------------------------------------------------------------------

struct UserFunction {
  napi_env env;
  Database* database;
  Napi::FunctionReference fn;
  bool bigints;
};

void CallUserFunction(sqlite3_context* context, int argc, sqlite3_value** args) {
  auto* user = static_cast<UserFunction*>(sqlite3_user_data(context));
  napi_env env = user->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  std::vector<napi_value> argv(argc > 0 ? argc : 1);
  for (int i = 0; i < argc; i++) argv[i] = ValueCell(env, args[i], user->bigints);
  napi_value receiver, result;
  napi_get_undefined(env, &receiver);
  napi_status status = napi_call_function(env, receiver, user->fn.Value(), argc, argv.data(), &result);
  if (status != napi_ok) {
    napi_value exception;
    napi_get_and_clear_last_exception(env, &exception);
    if (!user->database->hasPending) {
      user->database->pending = Napi::Reference<Napi::Value>::New(Napi::Value(env, exception), 1);
      user->database->hasPending = true;
    }
    sqlite3_result_error(context, "A user-defined function raised an exception", -1);
  } else {
    napi_valuetype type;
    napi_typeof(env, result, &type);
    switch (type) {
      case napi_number: {
        double d;
        napi_get_value_double(env, result, &d);
        sqlite3_result_double(context, d);
        break;
      }
      case napi_bigint: {
        int64_t n;
        bool lossless;
        napi_get_value_bigint_int64(env, result, &n, &lossless);
        if (lossless) sqlite3_result_int64(context, n);
        else sqlite3_result_error(context, "A user-defined function returned a bigint too large for 64 bits", -1);
        break;
      }
      case napi_string: {
        size_t length;
        napi_get_value_string_utf8(env, result, nullptr, 0, &length);
        std::string text(length, '\0');
        napi_get_value_string_utf8(env, result, text.data(), length + 1, &length);
        sqlite3_result_text64(context, text.data(), length, SQLITE_TRANSIENT, SQLITE_UTF8);
        break;
      }
      case napi_boolean: {
        bool b;
        napi_get_value_bool(env, result, &b);
        sqlite3_result_int(context, b ? 1 : 0);
        break;
      }
      default: {
        bool isTyped = false;
        if (type == napi_object) napi_is_typedarray(env, result, &isTyped);
        if (isTyped) {
          napi_typedarray_type arrayType;
          size_t length, offset;
          void* data;
          napi_value buffer;
          napi_get_typedarray_info(env, result, &arrayType, &length, &data, &buffer, &offset);
          if (arrayType == napi_uint8_array || arrayType == napi_uint8_clamped_array || arrayType == napi_int8_array)
            sqlite3_result_blob64(context, length > 0 ? data : "", length, SQLITE_TRANSIENT);
          else
            sqlite3_result_error(context, "A user-defined function may return bytes only as a Uint8Array", -1);
        } else {
          sqlite3_result_null(context);
        }
      }
    }
  }
  napi_close_handle_scope(env, scope);
}

void DestroyUserFunction(void* data) { delete static_cast<UserFunction*>(data); }

Napi::Value Database::Function(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return env.Undefined();
  std::string name = info[0].As<Napi::String>().Utf8Value();
  int argc = info[1].As<Napi::Number>().Int32Value();
  bool deterministic = info[2].ToBoolean().Value();
  bool bigints = info[3].ToBoolean().Value();
  auto* user = new UserFunction{env, this, Napi::Persistent(info[4].As<Napi::Function>()), bigints};
  int flags = SQLITE_UTF8 | (deterministic ? SQLITE_DETERMINISTIC : 0);
  int rc = sqlite3_create_function_v2(db, name.c_str(), argc, flags, user, CallUserFunction, nullptr, nullptr, DestroyUserFunction);
  if (rc != SQLITE_OK) ThrowLast(env);
  return env.Undefined();
}

Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
  auto* data = new AddonData();
  Napi::Function database = Database::Init(env);
  Napi::Function statement = Statement::Init(env);
  data->database = Napi::Persistent(database);
  data->statement = Napi::Persistent(statement);
  env.SetInstanceData<AddonData>(data);
  exports.Set("NativeDatabase", database);
  exports.Set("sqliteVersion", Napi::String::New(env, sqlite3_libversion()));
  return exports;
}

}  // namespace

NODE_API_MODULE(ferro_native, InitModule)
