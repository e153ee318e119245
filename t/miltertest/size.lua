-- size.lua - [milter] max_message_size = 64k and 100 KB of body sent in
-- 20 KB chunks: the chunk that crosses the limit gets 552 5.3.4. A chunk
-- sent after that (an MTA would not) must not kill anything; then a new
-- message on the same connection is taken as usual.
dofile(LIBDIR .. "/lib.lua")

local conn = open("big.connect", "127.0.0.1")
step("big.mail", conn, mt.mailfrom, "<big@sender.test>")
step("big.rcpt", conn, mt.rcptto, fax("+12025550500"))
step("big.hdr", conn, mt.header, "Message-ID", "<mt-big@sender.test>")
step("big.eoh", conn, mt.eoh)
local chunk = string.rep(string.rep("x", 78) .. "\r\n", 256)	-- 20480 bytes
local sent, first = 0, nil
for i = 1, 5 do
	local v = quiet(conn, mt.bodystring, chunk)
	sent = sent + #chunk
	if v ~= "continue" then
		first = i
		obs("big.overflow_chunk", i)
		obs("big.overflow", v)
		break
	end
end
obs("big.bytes_when_refused", sent)
-- One more chunk after the refusal: libmilter has left the message, so
-- no answer is expected; wait one second for one anyway.
mt.set_timeout(1)
obs("big.chunk_after", quiet(conn, mt.bodystring, chunk))
mt.set_timeout(10)
mt.abort(conn)

step("next.mail", conn, mt.mailfrom, "<big@sender.test>")
step("next.rcpt", conn, mt.rcptto, fax("+12025550501"))
if send_message("next.msg", conn, {{"Message-ID", "<mt-small@sender.test>"}}, {"small enough\r\n"}) then
	eom("next.eom", conn, "MTQS0001")
end
mt.disconnect(conn)
alive("big.alive", "+12025559999")
