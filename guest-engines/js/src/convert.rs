//! JSON values (the host's answers, a route's request) made JavaScript
//! values directly, rather than written as JSON text for `JSON.parse` to
//! read back (see benches/RESULTS.md, "Where a JS route's request goes").

use rquickjs::object::Property;
use rquickjs::{Array, Ctx, Object, Value};

/// `v` as the value `JSON.parse` of its text would give: numbers as
/// doubles (integers that fit as QuickJS integers), object keys as own
/// enumerable data properties, in order, `__proto__` included (defined,
/// never assigned, so it cannot change the object's prototype).
pub fn to_js<'js>(ctx: &Ctx<'js>, v: &serde_json::Value) -> rquickjs::Result<Value<'js>> {
    use serde_json::Value as Json;
    Ok(match v {
        Json::Null => Value::new_null(ctx.clone()),
        Json::Bool(b) => Value::new_bool(ctx.clone(), *b),
        Json::Number(n) => match n.as_i64().and_then(|i| i32::try_from(i).ok()) {
            Some(i) => Value::new_int(ctx.clone(), i),
            None => Value::new_float(ctx.clone(), n.as_f64().unwrap_or(f64::NAN)),
        },
        Json::String(s) => rquickjs::String::from_str(ctx.clone(), s)?.into_value(),
        Json::Array(items) => {
            let array = Array::new(ctx.clone())?;
            for (i, item) in items.iter().enumerate() {
                let index = u32::try_from(i).map_err(|_| {
                    rquickjs::Error::new_into_js_message("array", "Array", "too many elements")
                })?;
                array.as_object().prop(index, data(to_js(ctx, item)?))?;
            }
            array.into_value()
        }
        Json::Object(map) => {
            let object = Object::new(ctx.clone())?;
            for (key, item) in map {
                object.prop(key.as_str(), data(to_js(ctx, item)?))?;
            }
            object.into_value()
        }
    })
}

/// A plain data property, as `JSON.parse` creates them.
fn data(v: Value<'_>) -> Property<Value<'_>> {
    Property::from(v).writable().enumerable().configurable()
}
