//! What crosses between a backend and the engine process (ARCHITECTURE §3):
//! the messages of a session and the columnar batches they carry. Pure
//! encoding, used by both sides and unit-tested here.

pub mod batch;
pub mod codec;
pub mod message;

pub use batch::{Batch, BatchBuilder, ColumnBuilder, ColumnView, Physical};
pub use codec::WireError;
pub use message::{append_frame, EngineStatus, ErrorKind, HeapOutcome, HeapScan, Request, Response, SessionInfo, PROTOCOL_VERSION};
