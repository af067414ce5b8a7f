-- How to reach a buyer, as the merchant's system sends it (PUT /api/v1/merchant/buyers/{id}):
-- notifications go to this address in the account's `locale`. Accounts the merchant creates
-- this way have no password (password_hash '!', which no password matches).
ALTER TABLE users ADD COLUMN email TEXT;
ALTER TABLE users ADD COLUMN phone TEXT;
