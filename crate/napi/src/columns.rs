//! The `series` argument of `analyzeColumns`: an array of `{ id, ts, values }`, copied into
//! Rust vectors on the JS thread (so JS may reuse or change the arrays as soon as the call
//! returns, even while the async analysis runs). A value of the wrong type is a `TypeError`
//! (`ERR_INVALID_ARG_TYPE`) naming the entry and field; consistency (lengths, finite
//! timestamps) is the engine's to check (`conclude_engine::columns`).
//!
//! Typed arrays are copied in one pass over their bytes; a `number[]` is read element by
//! element (a napi call each), several times slower per point.

use conclude_engine::columns::{SeriesColumns, Timestamps};
use napi::bindgen_prelude::*;
use napi::JsValue;

use crate::input::type_error;

/// What JS passed where a typed array, array or value was expected, for the message.
fn describe(value: &Unknown) -> String {
    let kind = value.get_type().unwrap_or(ValueType::Unknown);
    if kind == ValueType::Object {
        if let Some(t) = typed_array(value) {
            return format!("{}Array", t.typed_array_type.as_ref());
        }
        if value.is_array().unwrap_or(false) {
            return "an Array".into();
        }
    }
    format!("{kind:?}").to_lowercase()
}

fn typed_array<'env>(value: &Unknown<'env>) -> Option<TypedArray<'env>> {
    if !value.is_typedarray().ok()? {
        return None;
    }
    let v = value.value();
    unsafe { TypedArray::from_napi_value(v.env, v.value) }.ok()
}

/// A typed array's elements (of 8 bytes: f64 or i64), copied.
fn elements<T>(array: &TypedArray, from_bytes: fn([u8; 8]) -> T) -> Vec<T> {
    let (words, _) = array.arraybuffer.as_chunks::<8>();
    words.iter().map(|w| from_bytes(*w)).collect()
}

/// The elements of a JS array of numbers; `null` becomes `NaN` when `null_is_nan`.
fn numbers(env: &Env, array: &Object, at: &str, null_is_nan: bool) -> Result<Vec<f64>> {
    let len = array.get_array_length_unchecked()?;
    let mut out = Vec::with_capacity(len as usize);
    for i in 0..len {
        let item: Unknown = array.get_element(i)?;
        match item.get_type()? {
            ValueType::Number => out.push(unsafe { item.cast::<f64>() }?),
            ValueType::Null if null_is_nan => out.push(f64::NAN),
            _ => {
                let expected = if null_is_nan { "a number or null" } else { "a number" };
                return Err(type_error(env, format!("{at}[{i}] must be {expected}, received {}", describe(&item))));
            }
        }
    }
    Ok(out)
}

fn as_array<'env>(value: &Unknown<'env>) -> Result<Option<Object<'env>>> {
    if value.is_array()? {
        let v = value.value();
        Ok(Some(unsafe { Object::from_napi_value(v.env, v.value) }?))
    } else {
        Ok(None)
    }
}

fn timestamps(env: &Env, value: &Unknown, at: &str) -> Result<Timestamps> {
    if let Some(t) = typed_array(value) {
        match t.typed_array_type {
            TypedArrayType::Float64 => return Ok(Timestamps::Float(elements(&t, f64::from_ne_bytes))),
            TypedArrayType::BigInt64 => return Ok(Timestamps::Integer(elements(&t, i64::from_ne_bytes))),
            _ => {}
        }
    } else if let Some(array) = as_array(value)? {
        return Ok(Timestamps::Float(numbers(env, &array, at, false)?));
    }
    Err(type_error(
        env,
        format!("{at} must be a Float64Array, BigInt64Array or number[], received {}", describe(value)),
    ))
}

fn values(env: &Env, value: &Unknown, at: &str) -> Result<Vec<f64>> {
    if let Some(t) = typed_array(value) {
        if t.typed_array_type == TypedArrayType::Float64 {
            return Ok(elements(&t, f64::from_ne_bytes));
        }
    } else if let Some(array) = as_array(value)? {
        return numbers(env, &array, at, true);
    }
    Err(type_error(env, format!("{at} must be a Float64Array or number[], received {}", describe(value))))
}

/// Reads and copies the `series` argument.
pub fn read(env: &Env, series: &Unknown) -> Result<Vec<SeriesColumns>> {
    let Some(list) = as_array(series)? else {
        return Err(type_error(
            env,
            format!("The \"series\" argument must be an Array of {{ id, ts, values }}, received {}", describe(series)),
        ));
    };
    let len = list.get_array_length_unchecked()?;
    let mut out = Vec::with_capacity(len as usize);
    for i in 0..len {
        let item: Unknown = list.get_element(i)?;
        if item.get_type()? != ValueType::Object || item.is_array()? {
            return Err(type_error(
                env,
                format!("series[{i}] must be an object {{ id, ts, values }}, received {}", describe(&item)),
            ));
        }
        let v = item.value();
        let entry = unsafe { Object::from_napi_value(v.env, v.value) }?;
        let field = |name: &str| entry.get_named_property::<Unknown>(name);
        let id = field("id")?;
        if id.get_type()? != ValueType::String {
            return Err(type_error(env, format!("series[{i}].id must be a string, received {}", describe(&id))));
        }
        out.push(SeriesColumns {
            id: unsafe { id.cast::<String>() }?,
            ts: timestamps(env, &field("ts")?, &format!("series[{i}].ts"))?,
            values: values(env, &field("values")?, &format!("series[{i}].values"))?,
        });
    }
    Ok(out)
}
