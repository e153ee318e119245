-- many.lua - 500 fax recipients in one message; [milter]
-- max_fax_recipients is 50, so the 51st and later get 452 4.5.3.
dofile(LIBDIR .. "/lib.lua")

local conn = open("many.connect", "127.0.0.1")
step("many.mail", conn, mt.mailfrom, "<many@sender.test>")
local function num(i)
	return string.format("+1303555%04d", i)
end
local counts, firsts = {}, {}
for i = 1, 500 do
	local v = step("many.rcpt." .. i, conn, mt.rcptto, fax(num(i)))
	counts[v] = (counts[v] or 0) + 1
	firsts[v] = firsts[v] or i
end
for v, n in pairs(counts) do
	obs("many.count", n .. " from " .. firsts[v] .. ": " .. v)
end
if send_message("many.msg", conn, {{"Message-ID", "<mt-many@sender.test>"}}, {"to many\r\n"}) then
	eom("many.eom", conn, "MTQN0001")
end
local deleted, last = 0, 0
for i = 1, 500 do
	if mt.eom_check(conn, MT_RCPTDELETE, fax(num(i))) then
		deleted = deleted + 1
		last = i
	end
end
obs("many.deleted", deleted .. " up to " .. last)
mt.disconnect(conn)
alive("many.alive", "+12025559999")
