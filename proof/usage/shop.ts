// Uses the interfaces generated from proof/ontology.ttl: builds values, sends them through JSON and back.
import type { Customer, Order, OrderLine, Party } from "./models";

const customer: Customer = { email: "a@example.org", loyal: true, born: "1990-01-02" };
const order: Order = { placedBy: customer, total: 12.5, class: "express", placedAt: "2026-01-01T10:00:00Z" };
const line: OrderLine = { order, quantity: 2, type: "book", weight: 0.4 };
const party: Party = { email: "b@example.org" };
const back: OrderLine = JSON.parse(JSON.stringify(line)) as OrderLine;
const loyal: boolean | undefined = back.order.placedBy.loyal;
if (back.quantity !== 2 || back.order.class !== "express" || loyal !== true) {
  throw new Error("round trip changed the order line");
}
console.log(JSON.stringify({ line: back.type, party: party.email }));
