//! Rows as JSON: one object per row, the column names as keys.

use serde_json::{Map, Value as Json};

use super::{Cell, Records};

impl Cell {
    pub fn json(&self) -> Json {
        match self {
            Cell::Null => Json::Null,
            Cell::Text(s) => Json::String(s.clone()),
            Cell::Int(n) => Json::from(*n),
            Cell::Dec(x, places) => serde_json::Number::from_f64(super::rounded(*x, *places))
                .map_or(Json::Null, Json::Number),
        }
    }
}

impl Records {
    pub fn object(&self, row: &[Cell]) -> Json {
        let mut map = Map::new();
        for (h, v) in self.headers.iter().zip(row) {
            map.insert(h.clone(), v.json());
        }
        Json::Object(map)
    }

    /// All rows as a JSON array of objects.
    pub fn to_json(&self) -> Json {
        Json::Array(self.rows.iter().map(|r| self.object(r)).collect())
    }
}
