-- mime.lua - malformed or hostile MIME, one message per connection; each
-- must get its own reply at end of message and leave the milter answering
-- a fresh connection (reported as NAME.alive).
dofile(LIBDIR .. "/lib.lua")

local function message(name, number, headers, body)
	local conn = open(name .. ".connect", "127.0.0.1")
	step(name .. ".mail", conn, mt.mailfrom, "<mime@sender.test>")
	step(name .. ".rcpt", conn, mt.rcptto, fax(number))
	if send_message(name, conn, headers, {crlf(body)}) then
		eom(name .. ".eom", conn, "MTQM" .. name)
	end
	mt.disconnect(conn)
	alive(name .. ".alive", "+12025559999")
end

local mime = {"MIME-Version", "1.0"}

-- A PDF attachment whose base64 lost its last character.
local pdf64 = readfile("doc.pdf.b64"):gsub("%s+$", "")
message("b64", "+12025550401",
    {{"Message-ID", "<mt-b64@sender.test>"}, mime, {"Content-Type", 'multipart/mixed; boundary="b1"'}},
    "--b1\nContent-Type: text/plain\n\nsee the attachment\n" ..
    "--b1\nContent-Type: application/pdf; name=\"doc.pdf\"\n" ..
    "Content-Disposition: attachment; filename=\"doc.pdf\"\n" ..
    "Content-Transfer-Encoding: base64\n\n" .. pdf64:sub(1, -2) .. "\n--b1--\n")

-- 100 multiparts nested in one another (the limit is 20 levels).
local p = {}
for i = 1, 99 do
	p[#p + 1] = "--n" .. i .. "\nContent-Type: multipart/mixed; boundary=\"n" .. (i + 1) .. "\"\n\n"
end
p[#p + 1] = "--n100\nContent-Type: text/plain\n\ndeep down\n"
for i = 100, 1, -1 do
	p[#p + 1] = "--n" .. i .. "--\n"
end
message("deep", "+12025550402",
    {{"Message-ID", "<mt-deep@sender.test>"}, mime, {"Content-Type", 'multipart/mixed; boundary="n1"'}},
    table.concat(p))

-- A multipart whose boundary never appears in its body.
message("nobound", "+12025550403",
    {{"Message-ID", "<mt-nobound@sender.test>"}, mime, {"Content-Type", 'multipart/mixed; boundary="never-used"'}},
    "--other\nContent-Type: text/plain\n\nhello\n--other--\n")

-- Raw 8-bit bytes in Subject and From: ISO-8859-1, then UTF-8.
message("latin1", "+12025550404",
    {{"Message-ID", "<mt-latin1@sender.test>"}, {"From", "J\252rgen M\252ller <jm@sender.test>"},
     {"Subject", "Caf\233 cr\232me br\251l\233e"}},
    "eight-bit header fields\n")
message("utf8", "+12025550405",
    {{"Message-ID", "<mt-utf8@sender.test>"}, {"From", "J\195\188rgen <j\195\188rgen@sender.test>"},
     {"Subject", "Gr\195\188\195\159e \226\130\172"}},
    "eight-bit header fields\n")

-- A TIFF whose header claims 100000 x 100000 pixels.
message("tiff", "+12025550406",
    {{"Message-ID", "<mt-tiff@sender.test>"}, mime, {"Content-Type", 'multipart/mixed; boundary="t1"'}},
    "--t1\nContent-Type: text/plain\n\nscan attached\n" ..
    "--t1\nContent-Type: image/tiff; name=\"huge.tif\"\n" ..
    "Content-Disposition: attachment; filename=\"huge.tif\"\n" ..
    "Content-Transfer-Encoding: base64\n\n" .. readfile("huge.tif.b64") .. "--t1--\n")

-- HTML only.
message("html", "+12025550407",
    {{"Message-ID", "<mt-html@sender.test>"}, mime, {"Content-Type", "text/html; charset=us-ascii"}},
    "<html><body><p>a fax?</p></body></html>\n")
