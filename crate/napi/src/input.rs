//! The input argument: a Buffer or any Uint8Array, anything else is a TypeError
//! with Node's own code for it; or, for `analyzeColumns`, series copied as columns.

use std::sync::atomic::AtomicBool;

use conclude_engine::columns::SeriesColumns;
use conclude_engine::engine::{self, Analysis};
use conclude_engine::{Error as EngineError, Options};
use napi::bindgen_prelude::*;

/// A `TypeError` with Node's code for an argument of the wrong type.
pub fn type_error(env: &Env, message: String) -> napi::Error {
    let build = || -> Result<napi::Error> {
        let mut err = env.create_error(napi::Error::new(Status::InvalidArg, message.clone()))?;
        err.set("code", "ERR_INVALID_ARG_TYPE")?;
        err.set("name", "TypeError")?;
        Ok(napi::Error::from(err.into_unknown(env)?))
    };
    build().unwrap_or_else(|e| e)
}

fn not_bytes(env: &Env, value: &Unknown) -> napi::Error {
    let kind = value.get_type().map(|t| format!("{t:?}").to_lowercase()).unwrap_or_else(|_| "unknown".into());
    type_error(env, format!("The \"input\" argument must be a Buffer or Uint8Array, received {kind}"))
}

fn check(env: &Env, value: &Unknown) -> Result<()> {
    if value.is_typedarray()? {
        Ok(())
    } else {
        Err(not_bytes(env, value))
    }
}

/// The bytes of `value`, borrowed for a synchronous call.
pub fn borrow<'a>(env: &Env, value: &'a Unknown) -> Result<&'a [u8]> {
    check(env, value)?;
    let slice =
        unsafe { Uint8ArraySlice::from_napi_value(env.raw(), value.raw()) }.map_err(|_| not_bytes(env, value))?;
    let (ptr, len) = (slice.as_ptr(), slice.len());
    // SAFETY: the typed array is an argument of the running call, so V8 keeps
    // its backing store alive at least until the call returns, which bounds 'a.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// A reference to `value` that keeps its bytes alive while the pool works on
/// them. JS must not write to the buffer until the promise settles (as with
/// `fs.write`): the engine reads it from another thread.
pub fn hold(env: &Env, value: &Unknown) -> Result<Uint8Array> {
    check(env, value)?;
    unsafe { Uint8Array::from_napi_value(env.raw(), value.raw()) }.map_err(|_| not_bytes(env, value))
}

/// The input of an async job, held while the pool works on it.
pub enum Held {
    /// Text (NDJSON or CSV), referenced: JS must not write to it until the promise settles.
    Bytes(Uint8Array),
    /// Series already copied out of their JS arrays ([`crate::columns::read`]).
    Columns(Vec<SeriesColumns>),
}

impl Held {
    /// Runs the analysis on the input (columns are moved into the engine, bytes stay held).
    pub fn analyze(&mut self, options: &Options, cancel: &AtomicBool) -> std::result::Result<Analysis, EngineError> {
        match self {
            Held::Bytes(bytes) => engine::analyze(bytes, options, cancel),
            Held::Columns(entries) => engine::analyze_columns(std::mem::take(entries), options, cancel),
        }
    }
}
