-- abort.lua - the MTA aborts a message half way through its body; the next
-- message on the same connection must start from nothing.
dofile(LIBDIR .. "/lib.lua")

local conn = open("ab.connect", "127.0.0.1")
step("ab.mail", conn, mt.mailfrom, "<first@sender.test>", "RET=FULL", "ENVID=first")
step("ab.rcpt", conn, mt.rcptto, fax("+12025550600"), "NOTIFY=FAILURE")
step("ab.hdr", conn, mt.header, "Message-ID", "<mt-aborted@sender.test>")
step("ab.eoh", conn, mt.eoh)
step("ab.body", conn, mt.bodystring, "FIRST-BODY which is never finished\r\n")
obs("ab.abort", mt.abort(conn) == nil and "sent" or "failed")

step("ab2.mail", conn, mt.mailfrom, "<second@sender.test>")
step("ab2.rcpt", conn, mt.rcptto, fax("+12025550601"))
if send_message("ab2.msg", conn,
    {{"Message-ID", "<mt-after-abort@sender.test>"}, {"Subject", "after abort"}},
    {"SECOND-BODY\r\n"}) then
	eom("ab2.eom", conn, "MTQA0001")
end
obs("ab2.del_second", mt.eom_check(conn, MT_RCPTDELETE, fax("+12025550601")))
obs("ab2.del_first", mt.eom_check(conn, MT_RCPTDELETE, fax("+12025550600")))
mt.disconnect(conn)
alive("ab.alive", "+12025559999")
