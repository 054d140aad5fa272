// Uses the structs generated from proof/ontology.ttl with real serde and serde_json: a JSON round trip,
// keyword-named properties (`type` is `r#type` in Rust and "type" in JSON), a missing required field refused.
mod models;
use models::*;

fn main() {
    let customer = Customer { email: "a@example.org".into(), born: Some("1990-01-02".into()), loyal: Some(true) };
    let order = Order {
        placed_by: Box::new(customer),
        total: 12.5,
        class: Some("express".into()),
        placed_at: Some("2026-01-01T10:00:00Z".into()),
    };
    let line = OrderLine { order: Box::new(order), quantity: 2, r#type: Some("book".into()), weight: Some(0.4) };
    let text = serde_json::to_string(&line).expect("serialise");
    assert!(text.contains("\"type\":\"book\"") && text.contains("\"placedBy\":{"), "{}", text);
    let back: OrderLine = serde_json::from_str(&text).expect("deserialise");
    assert_eq!(back, line);
    let value: serde_json::Value = serde_json::from_str(&text).expect("value");
    assert_eq!(value["order"]["placedBy"]["loyal"], serde_json::Value::Bool(true));
    assert!(serde_json::from_str::<OrderLine>(r#"{"quantity": 1}"#).is_err());
    let party: Party = serde_json::from_str(r#"{"email": "b@example.org"}"#).expect("party");
    println!("{} x{} / {}", back.r#type.unwrap_or_default(), back.quantity, party.email);
}
