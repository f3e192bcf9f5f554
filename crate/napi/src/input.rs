//! The input argument: a Buffer or any Uint8Array, anything else is a TypeError
//! with Node's own code for it.

use napi::bindgen_prelude::*;

fn not_bytes(env: &Env, value: &Unknown) -> napi::Error {
    let kind = value.get_type().map(|t| format!("{t:?}").to_lowercase()).unwrap_or_else(|_| "unknown".into());
    let message = format!("The \"input\" argument must be a Buffer or Uint8Array, received {kind}");
    let build = || -> Result<napi::Error> {
        let mut err = env.create_error(napi::Error::new(Status::InvalidArg, message.clone()))?;
        err.set("code", "ERR_INVALID_ARG_TYPE")?;
        err.set("name", "TypeError")?;
        Ok(napi::Error::from(err.into_unknown(env)?))
    };
    build().unwrap_or_else(|e| e)
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
