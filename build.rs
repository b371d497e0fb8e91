// Compiles the C++ guard shim (src/engine_server/guard.cpp): DuckDB C API
// calls that may throw run inside try/catch there, never unwinding into
// Rust frames.
fn main() {
    println!("cargo:rerun-if-changed=src/engine_server/guard.cpp");
    cc::Build::new().cpp(true).file("src/engine_server/guard.cpp").flag_if_supported("-std=c++17").compile("duckam_guard");
}
