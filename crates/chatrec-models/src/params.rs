//! Model hyper-parameters given as `key=value` strings on the command line.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::ModelError;

/// Parses `key=value` pairs over the defaults of `P`.
///
/// Values are read as JSON scalars when they parse as such (`64`, `0.01`, `true`) and as
/// strings otherwise (`bm25`). Unknown keys and values of the wrong type are errors that
/// name the key and list the valid ones, so a typo never silently trains the default.
pub fn parse_params<P>(model: &str, pairs: &[(String, String)]) -> Result<P, ModelError>
where
    P: DeserializeOwned + Serialize + Default,
{
    let defaults = serde_json::to_value(P::default()).map_err(|e| ModelError::InvalidParam {
        model: model.to_owned(),
        name: "*".into(),
        reason: e.to_string(),
    })?;
    let Value::Object(mut object) = defaults else {
        return Err(ModelError::InvalidParam {
            model: model.to_owned(),
            name: "*".into(),
            reason: "parameters are not a key-value structure".into(),
        });
    };
    for (key, raw) in pairs {
        if !object.contains_key(key) {
            let mut valid: Vec<&String> = object.keys().collect();
            valid.sort();
            let valid: Vec<&str> = valid.iter().map(|s| s.as_str()).collect();
            return Err(ModelError::InvalidParam {
                model: model.to_owned(),
                name: key.clone(),
                reason: format!("no such parameter; valid: {}", valid.join(", ")),
            });
        }
        object.insert(key.clone(), scalar(raw));
    }
    from_object(model, object)
}

/// Rebuilds parameters from their JSON form (as stored in a model file).
pub fn params_from_json<P: DeserializeOwned>(model: &str, value: &Value) -> Result<P, ModelError> {
    serde_json::from_value(value.clone()).map_err(|e| ModelError::InvalidParam {
        model: model.to_owned(),
        name: "*".into(),
        reason: e.to_string(),
    })
}

fn from_object<P: DeserializeOwned>(
    model: &str,
    object: Map<String, Value>,
) -> Result<P, ModelError> {
    serde_json::from_value(Value::Object(object)).map_err(|e| ModelError::InvalidParam {
        model: model.to_owned(),
        name: "*".into(),
        reason: e.to_string(),
    })
}

fn scalar(raw: &str) -> Value {
    match serde_json::from_str::<Value>(raw) {
        Ok(v @ (Value::Number(_) | Value::Bool(_))) => v,
        _ => Value::String(raw.to_owned()),
    }
}

/// Splits `key=value` strings; the error names the offending argument.
pub fn split_pairs(args: &[String]) -> Result<Vec<(String, String)>, String> {
    args.iter()
        .map(|arg| match arg.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_owned(), v.trim().to_owned())),
            _ => Err(format!("parameter `{arg}` is not of the form key=value")),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct P {
        factors: usize,
        reg: f32,
        weighting: String,
    }
    impl Default for P {
        fn default() -> Self {
            P {
                factors: 8,
                reg: 0.1,
                weighting: "none".into(),
            }
        }
    }

    fn pairs(items: &[&str]) -> Vec<(String, String)> {
        split_pairs(&items.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn overrides_defaults() {
        let p: P = parse_params("m", &pairs(&["factors=32", "weighting=bm25"])).unwrap();
        assert_eq!(
            p,
            P {
                factors: 32,
                reg: 0.1,
                weighting: "bm25".into()
            }
        );
    }

    #[test]
    fn unknown_key_names_valid_ones() {
        let err = parse_params::<P>("m", &pairs(&["factor=32"]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("factor") && err.contains("factors, reg, weighting"),
            "{err}"
        );
    }

    #[test]
    fn wrong_type_is_an_error() {
        assert!(parse_params::<P>("m", &pairs(&["factors=many"])).is_err());
        assert!(split_pairs(&["noequals".to_string()]).is_err());
    }
}
