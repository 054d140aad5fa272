// Uses the interfaces generated from the library example: builds values, sends them through JSON and back.
import type { Author, Book, Person, Publisher } from "./models";

const author: Author = { name: "Ursula K. Le Guin", birthDate: "1929-10-21" };
const publisher: Publisher = { companyName: "Ace", foundedYear: 1952 };
const book: Book = {
  isbn: "9780441478125",
  title: "The Left Hand of Darkness",
  writtenBy: author,
  publishedBy: publisher,
  inPrint: true,
  pages: 304,
  price: 9.99,
  publishedAt: "1969-03-01T00:00:00Z",
};
const reader: Person = { name: "Reader" };
const back: Book = JSON.parse(JSON.stringify(book)) as Book;
const pages: number | undefined = back.pages;
if (back.writtenBy.name !== author.name || pages !== 304 || back.publishedBy?.companyName !== "Ace") {
  throw new Error("round trip changed the book");
}
console.log(JSON.stringify({ book: back.title, reader: reader.name }));
