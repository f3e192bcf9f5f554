//! Test-only exports (cargo feature `panic-probe`, off by default, so never in the shipped
//! addon): they panic inside the engine's two real paths, to prove a panic becomes a JS error
//! (`ERR_CONCLUDE_INTERNAL`) and never aborts Node. `scripts/build-panic-probe.mjs` builds them
//! into `target/panic-probe/conclude-panic-probe.node`, which `__test__/panic-guard.spec.ts`
//! loads; the spec also checks that the shipped addon has no trace of them.

use std::sync::atomic::AtomicBool;

use conclude_engine::engine::Analysis;
use conclude_engine::Error as EngineError;
use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::{sync_result, Job};

/// Panics on the pool during a synchronous call, behind the guard `analyzeNative` uses.
#[napi(js_name = "panicProbeSync", skip_typescript)]
pub fn panic_probe_sync(env: &Env) -> Result<Object<'_>> {
    sync_result(env, |_: &AtomicBool| -> std::result::Result<Analysis, EngineError> {
        conclude_engine::pool::get(None)?.install(|| panic!("deliberate test panic"))
    })
}

/// Panics in a job on the pool, behind the guard `analyze` and every async call use.
#[napi(js_name = "panicProbeAsync", skip_typescript)]
pub fn panic_probe_async(env: &Env) -> Result<PromiseRaw<'_, ()>> {
    Job::spawn(
        env,
        None,
        (),
        |_, _, _| -> std::result::Result<(), EngineError> { panic!("deliberate test panic (async)") },
        |(), _| Ok(()),
    )
}
