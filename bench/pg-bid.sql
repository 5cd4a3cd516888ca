-- pgbench: the bid a user would write with PostgreSQL alone. Read the price, then raise it and record the bid in one
-- statement (one transaction), only if no one has raised it meanwhile: UPDATE ... WHERE price < amount, and the bid
-- row only when that UPDATE took. A bid overtaken by another on the same row changes nothing (as a 409 would).
-- Needs -D auctions=<count>; the tables come from bench/run.
\set id random(1, :auctions)
SELECT price + 10 AS amount FROM auctions WHERE id = :id \gset
WITH raised AS (UPDATE auctions SET price = :amount WHERE id = :id AND price < :amount RETURNING id)
INSERT INTO bids (auction_id, amount) SELECT id, :amount FROM raised;
