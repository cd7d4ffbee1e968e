//! The embedded sink models (`models/*.toml`) as JSON in `OUT_DIR/models/`: the same data,
//! read at run time by serde_json, several times faster than parsing TOML at every start (a
//! fifth of an audit's fixed cost). `models.rs` checks, in a unit test, that the models built
//! from the JSON are the models built from the TOML.

use std::path::Path;

fn main() {
    let src = Path::new("models");
    println!("cargo:rerun-if-changed=models");
    let out = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("models");
    std::fs::create_dir_all(&out).expect("create OUT_DIR/models");
    let mut names: Vec<_> = std::fs::read_dir(src)
        .expect("read models/")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    names.sort();
    for path in names {
        let text = std::fs::read_to_string(&path).expect("read a model file");
        let value: toml::Value =
            toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            !has_datetime(&value),
            "{}: a model file holds no dates (they have no JSON form)",
            path.display()
        );
        let json = serde_json::to_string(&value).expect("a TOML value as JSON");
        let stem = path.file_stem().expect("a file name").to_string_lossy();
        std::fs::write(out.join(format!("{stem}.json")), json).expect("write the JSON model");
    }
}

fn has_datetime(v: &toml::Value) -> bool {
    match v {
        toml::Value::Datetime(_) => true,
        toml::Value::Array(a) => a.iter().any(has_datetime),
        toml::Value::Table(t) => t.values().any(has_datetime),
        _ => false,
    }
}
