/*
 * faxmodem_sip - faxmodem's call control on a SIP line (--sip): the
 * DTE's ATA and ATD against an fmsip(3) call, and the call's end from
 * either side (see faxmodem.h; faxmodem.c has the program's manual).
 */
#include <stdio.h>

#include "faxmodem.h"

/* fm_sip_events - the DTE's ATA/ATD against the SIP call's state, returns nothing */
void fm_sip_events(modem_t *m)
{
	int st = fmsip_state(m->sip);
	char err[200];

	if (m->ev_answer) {
		/* Now or when the INVITE comes: efax may say ATA first. */
		m->ev_answer = 0;
		m->answer_pending = m->state == C_IDLE || m->state == C_RINGING;
	}
	if (m->ev_call) {
		m->ev_call = 0;
		if (m->state != C_IDLE || st != FMSIP_IDLE) {
			t31_call_event(m->t31, AT_CALL_EVENT_BUSY);
		} else if (fmsip_dial(m->sip, m->dialled, err, sizeof(err)) < 0) {
			fm_trace(m, 1, "cannot call \"%s\": %s", m->dialled, err);
			t31_call_event(m->t31, AT_CALL_EVENT_NO_ANSWER);
			m->state = C_DONE;
		} else {
			fm_trace(m, 1, "call to \"%s\": INVITE sent", m->dialled);
			m->state = C_DIALLING;
		}
		st = fmsip_state(m->sip);
	}
	if (m->ev_hangup && m->state == C_DIALLING) {
		m->ev_hangup = 0;
		fm_trace(m, 1, "the DTE gave up dialling");
		fmsip_hangup(m->sip);
		m->state = C_DONE;
		return;
	}
	if ((m->state == C_IDLE || m->state == C_RINGING) && st == FMSIP_RINGING &&
	    m->answer_pending) {
		m->answer_pending = 0;
		if (fmsip_answer(m->sip, err, sizeof(err)) < 0) {
			fm_trace(m, 1, "cannot answer: %s", err);
			t31_call_event(m->t31, AT_CALL_EVENT_HANGUP);
			m->state = C_DONE;
			return;
		}
		fm_trace(m, 1, "answered the SIP call after %d ring%s", m->rings,
		    m->rings == 1 ? "" : "s");
		m->sip_up = 1;
		m->state = C_LINE;
		t31_call_event(m->t31, AT_CALL_EVENT_ANSWERED);
	} else if ((m->state == C_IDLE || m->state == C_RINGING) && st == FMSIP_ENDED) {
		fm_trace(m, 1, "the caller gave up");
		m->state = C_DONE;
	} else if (m->state == C_DIALLING && st == FMSIP_UP) {
		fm_trace(m, 1, "the far end answered");
		m->sip_up = 1;
		m->state = C_LINE;
		t31_call_event(m->t31, AT_CALL_EVENT_CONNECTED);
	} else if (m->state == C_DIALLING && st == FMSIP_ENDED) {
		int busy = fmsip_end_status(m->sip) == 486 || fmsip_end_status(m->sip) == 600;

		fm_trace(m, 1, "the call failed: SIP %d", fmsip_end_status(m->sip));
		t31_call_event(m->t31, busy ? AT_CALL_EVENT_BUSY : AT_CALL_EVENT_NO_ANSWER);
		m->state = C_DONE;
	}
}

/* fm_sip_line - the SIP call's end, from either side, returns nothing */
void fm_sip_line(modem_t *m)
{
	/* The DTE hung up: its last audio (DCN) leaves first, then BYE. */
	if (m->dte_hangup_at != 0 && fmsip_state(m->sip) != FMSIP_ENDED &&
	    m->ticks - m->dte_hangup_at >= SETTLE_TICKS) {
		fm_trace(m, 1, "hanging up the SIP call");
		fmsip_hangup(m->sip);
	}
	if (fmsip_state(m->sip) != FMSIP_ENDED)
		return;
	if (m->done_at == 0) {
		m->done_at = m->ticks;
		fm_trace(m, 1, "the SIP call is over");
	}
	fm_far_end_gone(m);
}
