// C++ exceptions must not unwind into Rust frames: Rust aborts the process
// ("Rust cannot catch foreign exceptions"), and the engine's abort makes
// the postmaster restart the whole cluster. DuckDB's C API lets some calls
// throw (allocation in a vector's string heap or list child, e.g. under
// the memory limit). The engine's table-function callbacks, which run in
// Rust inside DuckDB's execution, call those through these wrappers; each
// returns 0 on success, else 1 with DuckDB's message copied to `error`.
#include <cstdint>
#include <cstring>
#include <exception>

extern "C" {
typedef struct _duckdb_vector *duckdb_vector;
void duckdb_unsafe_vector_assign_string_element_len(duckdb_vector vector, uint64_t index, const char *str, uint64_t str_len);
int duckdb_list_vector_reserve(duckdb_vector vector, uint64_t required_capacity);
int duckdb_list_vector_set_size(duckdb_vector vector, uint64_t size);
void duckdb_vector_ensure_validity_writable(duckdb_vector vector);
}

template <class F>
static int guard(char *error, size_t error_len, F body) {
    try {
        body();
        return 0;
    } catch (const std::exception &e) {
        std::strncpy(error, e.what(), error_len - 1);
        error[error_len - 1] = '\0';
    } catch (...) {
        std::strncpy(error, "unknown DuckDB exception", error_len - 1);
        error[error_len - 1] = '\0';
    }
    return 1;
}

extern "C" int duckam_guarded_assign_string(duckdb_vector v, uint64_t row, const char *s, uint64_t len, char *error, size_t error_len) {
    return guard(error, error_len, [&] { duckdb_unsafe_vector_assign_string_element_len(v, row, s, len); });
}

extern "C" int duckam_guarded_list_resize(duckdb_vector v, uint64_t len, char *error, size_t error_len) {
    return guard(error, error_len, [&] {
        duckdb_list_vector_reserve(v, len);
        duckdb_list_vector_set_size(v, len);
    });
}

extern "C" int duckam_guarded_ensure_validity_writable(duckdb_vector v, char *error, size_t error_len) {
    return guard(error, error_len, [&] { duckdb_vector_ensure_validity_writable(v); });
}
