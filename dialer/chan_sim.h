/*
 * NAME
 *	chan_sim - a simulated phone line with a SpanDSP fax machine at
 *	the far end
 * SYNOPSIS
 *	#include "chan_sim.h"
 *
 *	void	chan_sim_config_init(chan_sim_config_t *cfg);
 *	int	chan_sim_config_add(chan_sim_config_t *cfg, const char *number,
 *			const char *behaviour, char *err, size_t errlen);
 *	int	chan_sim_config_add_list(chan_sim_config_t *cfg,
 *			const char *list, char *err, size_t errlen);
 *	int	chan_sim_config_calls(const chan_sim_config_t *cfg,
 *			const char *number);
 *	void	chan_sim_config_free(chan_sim_config_t *cfg);
 *
 *	chan_t	*chan_sim_new(uv_loop_t *loop, const chan_sim_config_t *cfg);
 *	int	chan_sim_far_path(const chan_sim_config_t *cfg,
 *			const char *number, long job_id, int attempt,
 *			char *buf, size_t size);
 * DESCRIPTION
 *	A sim channel is a chan(3) whose line ends in a second SpanDSP
 *	endpoint in the same process: a fax machine that receives what is
 *	sent and writes each call's pages to
 *	OUTDIR/NUMBER-JOBID-ATTEMPT.tif (NUMBER without the "+"), so a test
 *	can look at what a given attempt delivered. chan_sim_far_path()
 *	builds that name (returns 0, or -1 when it does not fit).
 *
 *	Modes: CHAN_SIM_AUDIO puts two fax_state_t back to back and copies
 *	160 samples each way per 20 ms tick; CHAN_SIM_T38 connects two
 *	t38_terminal_state_t by handing IFPs across (queued, delivered
 *	after each tick, sequence numbers counted per direction). paced = 1
 *	runs one tick per 20 ms of real time on a uv timer. paced = 0 runs
 *	as fast as the CPU allows without blocking the loop: at most 50
 *	ticks (1 s of line time) and about 5 ms of CPU per loop iteration,
 *	from a uv_idle handle,
 *	so timers and I/O run in between; T.38 then also uses
 *	T38_TERMINAL_OPTION_NO_PACING. speed (paced only, default 1) runs
 *	that many ticks per 20 ms of real time: the timing path stays the
 *	paced one, only faster.
 *
 *	The far end's behaviour is chosen per number (compared without "+";
 *	the number "*" sets the default, otherwise "answer"):
 *	    answer	   a fax machine that takes everything
 *	    busy[:M]	   Q.850 17 (4.4.1, retry)
 *	    noanswer[:M]   Q.850 19 after ring_timeout seconds when paced
 *	    congestion[:M] Q.850 34 (4.4.5, retry)
 *	    invalid[:M]	   Q.850 1, unallocated number (5.1.1, final)
 *	    voice[:M]	   answers and talks (speech-like audio; silence on
 *			   T.38): T.30 ends in "not a fax machine"
 *	    notfax[:M]	   answers and stays silent, no fax tones
 *	    drop:N[:M]	   the far end hangs up as soon as the sender has
 *			   MCF for page N (of this call): N pages confirmed,
 *			   the rest missing, T30_ERR_CALLDROPPED, retry
 *	    trainfail[:M]  every TCF arrives damaged (audio: 180-degree
 *			   phase hits during TCF only; T.38: TCF bits
 *			   inverted), so the far end answers FTT until the
 *			   sender runs out of speeds: T30_ERR_CANNOT_TRAIN
 *	With :M the behaviour applies to the first M calls to that number
 *	and later calls are answered normally: "busy:2" is busy twice, then
 *	answers; "drop:2:1" drops after page 2 on the first call only. The
 *	per-number call counters live in the configuration, so all the sim
 *	channels made from one configuration share them.
 *	chan_sim_config_calls() returns how many calls a number in the table
 *	has had (other numbers count under "*" when it is set, else not).
 *
 *	Paced, busy comes after 1 s, congestion and invalid after 0.5 s;
 *	unpaced, all call-control outcomes come from the loop at once. A
 *	call longer than call_limit seconds of line time is hung up
 *	(T30_ERR_CALLDROPPED, retry, error_text says so). hangup() ends a
 *	call the same way (on_done follows once, FAX_RETRY). on_done comes
 *	after the far end's TIFF is closed.
 *
 *	chan_sim_config_init() sets the defaults: audio, unpaced, outdir
 *	NULL (must be set before calling), ring_timeout 30, call_limit 1800,
 *	far end with ECM and ident "+1 555 0100", no logging.
 *	chan_sim_config_add() adds or replaces one number; returns 0 or -1
 *	with err set for an unknown behaviour. chan_sim_config_add_list()
 *	adds "NUMBER=BEHAVIOUR" entries separated by white space or commas,
 *	all or nothing. chan_sim_config_free() frees the number table (not
 *	outdir or far_ident, which the caller owns). Set the configuration
 *	up before making channels; it must outlive every channel made from
 *	it. log, when set, gets both ends' SpanDSP messages (tagged "near"
 *	and "far") from inside SpanDSP: it must only record.
 *
 *	chan_sim_new() returns a channel (see chan(3) for its operations),
 *	or NULL when out of memory. chan_close() frees it.
 * DIAGNOSTICS
 *	chan_call() fails with err set when the channel is busy, outdir is
 *	not set, or the TIFF cannot be sent (unreadable, fewer pages than
 *	first_page).
 */
#ifndef FAXGATE_CHAN_SIM_H
#define FAXGATE_CHAN_SIM_H

#include <stddef.h>

#include <uv.h>

#include "chan.h"
#include "t30.h"

enum chan_sim_mode { CHAN_SIM_AUDIO = 0, CHAN_SIM_T38 = 1 };

typedef struct chan_sim_number chan_sim_number_t;

typedef struct chan_sim_config {
	enum chan_sim_mode mode;
	int paced;			/* 1: real time; 0: as fast as possible */
	int speed;			/* paced: line seconds per real second (1) */
	const char *outdir;		/* far end's TIFFs go here (caller owns) */
	int ring_timeout;		/* seconds before no answer, paced */
	int call_limit;			/* seconds of line time per call */
	int far_ecm;			/* far end accepts ECM */
	const char *far_ident;		/* far end's CSI (caller owns) */
	t30_ep_log_fn log;		/* optional SpanDSP logs of both ends */
	int log_level;
	void *log_user;
	chan_sim_number_t *numbers;	/* behaviours and call counters */
	size_t nnumbers;
} chan_sim_config_t;

void chan_sim_config_init(chan_sim_config_t *cfg);
int chan_sim_config_add(chan_sim_config_t *cfg, const char *number,
    const char *behaviour, char *err, size_t errlen);
int chan_sim_config_add_list(chan_sim_config_t *cfg, const char *list,
    char *err, size_t errlen);
int chan_sim_config_calls(const chan_sim_config_t *cfg, const char *number);
void chan_sim_config_free(chan_sim_config_t *cfg);

chan_t *chan_sim_new(uv_loop_t *loop, const chan_sim_config_t *cfg);
int chan_sim_far_path(const chan_sim_config_t *cfg, const char *number,
    long job_id, int attempt, char *buf, size_t size);

#endif
