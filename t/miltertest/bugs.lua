-- bugs.lua - RCPTs that show known bugs (TODO tests in the .t file).
dofile(LIBDIR .. "/lib.lua")

local conn = open("bug.connect", "127.0.0.1")
step("bug.mail", conn, mt.mailfrom, "<bugs@sender.test>")
-- FAX= and 506 digits: a local part of 511 octets, refused as too long.
step("bug.local511", conn, mt.rcptto, "<FAX=+" .. string.rep("1", 506) .. "@" .. FD .. ">")
-- One octet more and the fax domain's recipient is waved through.
step("bug.local512", conn, mt.rcptto, "<FAX=+" .. string.rep("1", 507) .. "@" .. FD .. ">")
step("bug.local600", conn, mt.rcptto, "<FAX=+" .. string.rep("1", 595) .. "@" .. FD .. ">")
-- A number whose rewritten dial string does not fit: refused, but is
-- that decision logged?
step("bug.rewrite", conn, mt.rcptto, fax("+33991234567"))
mt.abort(conn)

-- The fax domain written with its trailing root dot, which MTAs strip when
-- they route: is it collected as a fax recipient?
step("dot.mail", conn, mt.mailfrom, "<bugs@sender.test>")
step("dot.rcpt", conn, mt.rcptto, "<FAX=+12025550700@" .. FD .. ".>")
if send_message("dot.msg", conn, {{"Message-ID", "<mt-rootdot@sender.test>"}}, {"root dot\r\n"}) then
	eom("dot.eom", conn, "MTQD0001")
end
mt.disconnect(conn)
alive("bug.alive", "+12025559999")
