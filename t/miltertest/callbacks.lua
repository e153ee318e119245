-- callbacks.lua - the callbacks one by one: connect, MAIL (ESMTP
-- parameters, auth macro), RCPT (each refusal), end of message (recipient
-- deletion, discard or continue, the queue id macro).
dofile(LIBDIR .. "/lib.lua")

-- 1. From loopback: every RCPT decision, then a fax-only message.
local conn = open("lo.connect", "127.0.0.1")
step("lo.mail", conn, mt.mailfrom, "<alice@sender.test>", "RET=HDRS", "ENVID=abc+2Bdef")
step("lo.rcpt_bad", conn, mt.rcptto, fax("12025550100"))
step("lo.rcpt_notfax", conn, mt.rcptto, "<postmaster@" .. FD .. ">")
step("lo.rcpt_dialplan", conn, mt.rcptto, fax("+19005550100"))
step("lo.rcpt_fax1", conn, mt.rcptto, fax("+12025550100"), "NOTIFY=SUCCESS",
    "ORCPT=rfc822;FAX+3D+2B12025550100@" .. FD)
step("lo.rcpt_fax2", conn, mt.rcptto, fax("+442079460000/T33S=12"))
if send_message("lo.msg", conn,
    {{"Message-ID", "<mt-valid@sender.test>"}, {"From", "Alice <alice@sender.test>"},
     {"Subject", "miltertest valid"}},
    {"Hello fax,\r\n", "one page of text.\r\n"}) then
	eom("lo.eom", conn, "MTQ0001")
end
obs("lo.del_fax1", mt.eom_check(conn, MT_RCPTDELETE, fax("+12025550100")))
obs("lo.del_fax2", mt.eom_check(conn, MT_RCPTDELETE, fax("+442079460000/T33S=12")))

-- 2. Same connection: a fax and a normal recipient.
step("mix.mail", conn, mt.mailfrom, "<alice@sender.test>")
step("mix.rcpt_other", conn, mt.rcptto, "<carol@sender.test>")
step("mix.rcpt_fax", conn, mt.rcptto, fax("+12025550110"))
if send_message("mix.msg", conn,
    {{"Message-ID", "<mt-mixed@sender.test>"}, {"Subject", "miltertest mixed"}},
    {"for Carol and a fax\r\n"}) then
	eom("mix.eom", conn, "MTQ0002")
end
obs("mix.del_fax", mt.eom_check(conn, MT_RCPTDELETE, fax("+12025550110")))
obs("mix.del_other", mt.eom_check(conn, MT_RCPTDELETE, "<carol@sender.test>"))

-- 3. Same connection: no fax recipient at all; the milter steps aside.
step("plain.mail", conn, mt.mailfrom, "<alice@sender.test>")
step("plain.rcpt", conn, mt.rcptto, "<carol@sender.test>")
send_message("plain.msg", conn, {{"Subject", "miltertest plain"}}, {"not for a fax\r\n"})
mt.disconnect(conn)

-- 4. From a client outside [policy] networks: refused, unless SMTP AUTH.
conn = open("ext.connect", "192.0.2.9")
step("ext.mail", conn, mt.mailfrom, "<mallory@sender.test>")
step("ext.rcpt_fax", conn, mt.rcptto, fax("+12025550120"))
step("ext.rcpt_other", conn, mt.rcptto, "<carol@sender.test>")
mt.abort(conn)
mt.macro(conn, SMFIC_MAIL, "{auth_authen}", "bob", "{auth_type}", "PLAIN")
step("auth.mail", conn, mt.mailfrom, "<bob@sender.test>")
step("auth.rcpt_fax", conn, mt.rcptto, fax("+12025550121"))
if send_message("auth.msg", conn,
    {{"Message-ID", "<mt-auth@sender.test>"}, {"Subject", "miltertest auth"}},
    {"sent with SMTP AUTH\r\n"}) then
	eom("auth.eom", conn, "MTQ0003")
end
obs("auth.del_fax", mt.eom_check(conn, MT_RCPTDELETE, fax("+12025550121")))
mt.disconnect(conn)
