// Uses the structs generated from the library example with real serde and serde_json: a JSON round trip,
// the JSON field names of the ontology (camelCase), optional fields left out, a missing required field refused.
mod models;
use models::*;

fn main() {
    let author = Author { name: "Ursula K. Le Guin".into(), biography: None, birth_date: Some("1929-10-21".into()) };
    let book = Book {
        isbn: "9780441478125".into(),
        title: "The Left Hand of Darkness".into(),
        written_by: Box::new(author.clone()),
        in_print: Some(true),
        pages: Some(304),
        price: Some(9.99),
        published_at: None,
        published_by: Some(Box::new(Publisher { company_name: "Ace".into(), founded_year: Some(1952) })),
    };
    let text = serde_json::to_string(&book).expect("serialise");
    assert!(text.contains("\"writtenBy\":{") && text.contains("\"birthDate\":\"1929-10-21\""), "{}", text);
    assert!(!text.contains("publishedAt") && !text.contains("biography"), "{}", text);
    let back: Book = serde_json::from_str(&text).expect("deserialise");
    assert_eq!(back, book);
    let typed: Book = serde_json::from_str(r#"{"isbn": "1", "title": "t", "writtenBy": {"name": "n"}, "pages": 10}"#)
        .expect("the ontology's JSON");
    assert_eq!(typed.pages, Some(10));
    assert!(serde_json::from_str::<Book>(r#"{"isbn": "1", "writtenBy": {"name": "n"}}"#).is_err());
    assert!(serde_json::from_str::<Book>(r#"{"isbn": "1", "title": "t", "writtenBy": {"name": "n"}, "pages": "x"}"#).is_err());
    let person: Person = serde_json::from_str(r#"{"name": "Reader"}"#).expect("person");
    println!("{} / {}", back.title, person.name);
}
