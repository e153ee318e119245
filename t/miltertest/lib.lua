-- lib.lua - helpers shared by the miltertest scenarios of t/22-miltertest.t.
--
-- Globals set by the caller with miltertest -D:
--   MILTER    where to connect, "inet:PORT@127.0.0.1" (the reply tap)
--   REPLYLOG  the reply tap's log: one line per packet the milter sent,
--             "CONN CMD DATA" (DATA with NUL as \0, other bytes as \xHH)
--   DATA      a directory with the fixtures the .t file made
--
-- A scenario reports what it observed as lines "OBS name=value" on stdout;
-- the .t file holds the expectations. A reply is reported as the word for
-- its milter response (continue, accept, discard, reject, tempfail) or, for
-- SMFIR_REPLYCODE, "reply " followed by the SMTP reply exactly as the
-- milter sent it ("553 5.1.3 Bad fax address syntax: ...").

FD = "fax.example.test"
SMFIC_BODYEOB = string.byte("E")	-- macros for end of message

mt.set_timeout(10)

local names = {
	[SMFIR_CONTINUE] = "continue", [SMFIR_ACCEPT] = "accept",
	[SMFIR_REJECT] = "reject", [SMFIR_TEMPFAIL] = "tempfail",
	[SMFIR_DISCARD] = "discard", [SMFIR_REPLYCODE] = "reply",
}

local replylog = assert(io.open(REPLYLOG, "r"))

-- last_packet - the last packet the milter sent since the previous call:
-- its command character and data; the tap logs it before passing it on
local function last_packet()
	local last
	replylog:seek("cur", 0)		-- clear a sticky EOF
	for line in replylog:lines() do
		last = line
	end
	if not last then
		return nil, nil
	end
	local cmd, data = last:match("^%d+ (.) ?(.*)$")
	return cmd, data
end

-- obs - report one observation
function obs(name, value)
	mt.echo("OBS " .. name .. "=" .. tostring(value))
end

-- reply - what the milter answered to the last command on conn
function reply(conn)
	local r = mt.getreply(conn)
	local cmd, data = last_packet()
	local word = names[r] or string.format("0x%02x", r)
	if cmd ~= string.char(r) then
		return word .. " (tap saw " .. tostring(cmd) .. ")"
	end
	if r == SMFIR_REPLYCODE then
		return "reply " .. (data:match("^(.*)\\0$") or data)
	end
	return word
end

-- step - run mt.FN(conn, ...), report and return the reply as name
function step(name, conn, fn, ...)
	local err = fn(conn, ...)
	local v
	if err ~= nil then
		v = "error " .. tostring(err)
	else
		v = reply(conn)
	end
	obs(name, v)
	return v
end

-- quiet - run mt.FN(conn, ...) and return the reply without reporting it
function quiet(conn, fn, ...)
	local err = fn(conn, ...)
	if err ~= nil then
		return "error " .. tostring(err)
	end
	return reply(conn)
end

-- open - a new milter connection from a client at ip; reports name
function open(name, ip)
	local conn = mt.connect(MILTER, 20, 0.1)
	if conn == nil then
		obs(name, "error mt.connect failed")
		error("mt.connect(" .. MILTER .. ") failed")
	end
	step(name, conn, mt.conninfo, "client.test", ip)
	return conn
end

-- fax - the SMTP path of a fax recipient
function fax(number)
	return "<FAX=" .. number .. "@" .. FD .. ">"
end

-- readfile - the contents of DATA/name
function readfile(name)
	local f = assert(io.open(DATA .. "/" .. name, "rb"))
	local s = f:read("*a")
	f:close()
	return s
end

-- crlf - s with every line ending as CRLF
function crlf(s)
	return (s:gsub("\r?\n", "\r\n"))
end

-- send_message - headers (list of {name, value}), end of header, body in
-- chunks (list of strings); reports name.hdr (the last header reply, or
-- the first that is not continue), name.eoh and name.body likewise.
-- Returns false when the milter stopped the message early.
function send_message(name, conn, headers, chunks)
	local v
	for _, h in ipairs(headers) do
		v = quiet(conn, mt.header, h[1], h[2])
		if v ~= "continue" then
			break
		end
	end
	obs(name .. ".hdr", v)
	if v ~= "continue" then
		return false
	end
	v = step(name .. ".eoh", conn, mt.eoh)
	if v ~= "continue" then
		return false
	end
	for _, c in ipairs(chunks) do
		v = quiet(conn, mt.bodystring, c)
		if v ~= "continue" then
			break
		end
	end
	obs(name .. ".body", v)
	return v == "continue"
end

-- eom - end of message with the queue id macro set as an MTA does; a
-- reply text is also checked with miltertest's own MT_SMTPREPLY, reported
-- as name.smtpreply (true when both agree)
function eom(name, conn, qid)
	if qid then
		mt.macro(conn, SMFIC_BODYEOB, "i", qid)
	end
	local v = step(name, conn, mt.eom)
	local code, xcode, text = v:match("^reply (%d%d%d) (%d%.%d+%.%d+) (.*)$")
	if code then
		obs(name .. ".smtpreply", mt.eom_check(conn, MT_SMTPREPLY, code, xcode, text))
	end
	return v
end

-- alive - a fresh connection still gets answers: connect, MAIL, a fax
-- RCPT; reports name as "connect/mail/rcpt" replies
function alive(name, number)
	local conn = mt.connect(MILTER, 20, 0.1)
	if conn == nil then
		obs(name, "error mt.connect failed")
		return
	end
	local a = quiet(conn, mt.conninfo, "client.test", "127.0.0.1")
	local b = quiet(conn, mt.mailfrom, "<alive@sender.test>")
	local c = quiet(conn, mt.rcptto, fax(number))
	obs(name, a .. "/" .. b .. "/" .. c)
	mt.abort(conn)
	mt.disconnect(conn)
end
