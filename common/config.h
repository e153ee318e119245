/*
 * NAME
 *	config - faxgate.conf, one INI file read with libinih
 * SYNOPSIS
 *	#include "config.h"
 *	config_t *config_load(const char *path, char *err, size_t errlen);
 *	config_t *config_defaults(void);
 *	void config_free(config_t *cf);
 *	const fax_domain_t *config_fax_domain(const config_t *cf, const char *domain);
 * DESCRIPTION
 *	config_load reads path, applies every default for keys not given,
 *	checks every value and builds the dial plans. Unknown sections and
 *	keys are errors (a typo must not silently fall back to a default).
 *	The result is immutable and owned by the caller; SIGHUP reload means
 *	loading a new one and swapping the pointer.
 *	config_fax_domain returns the fax domain named domain (compared
 *	case-insensitively), or NULL when it is not one of ours.
 *	Every key, its default and its meaning is documented in
 *	contrib/faxgate.conf; keep the two in step.
 * DIAGNOSTICS
 *	NULL with err set to "FILE:LINE: reason" (or "FILE: reason").
 */
#ifndef FAXGATE_CONFIG_H
#define FAXGATE_CONFIG_H

#include <stddef.h>

#include "cidr.h"
#include "dialplan.h"

typedef struct fax_domain {
	char *name;		/* lower case */
	dialplan_t *dialplan;	/* [dialplan] merged with [domain NAME] */
	int smime_required;	/* [policy] smime, or its [domain NAME] override */
} fax_domain_t;

typedef struct config {
	char *path;
	/* [general] */
	char *hostname;		/* Reporting-MTA and Message-IDs */
	char *log_level;
	char *store;		/* "sqlite:PATH" (a bare PATH means sqlite) */
	char *dialer_socket;	/* unix datagram socket the dialer listens on */
	/* [milter] */
	char *milter_socket;	/* libmilter spec: unix:PATH or inet:PORT@HOST */
	char *milter_user;	/* drop root to this user; empty: stay */
	size_t max_message_size;
	unsigned max_fax_recipients;	/* per message */
	char *milter_metrics;	/* Prometheus endpoint, loopback HOST:PORT; "" none */
	/* [fax] */
	fax_domain_t *domains;
	size_t ndomains;
	unsigned max_documents;
	unsigned tiff_max_pages, tiff_max_width, tiff_max_height;
	/* [policy] */
	cidr_list_t networks;	/* clients allowed to send faxes */
	int allow_authenticated;	/* SASL users allowed from anywhere */
	char **sender_domains;	/* NULL-terminated; empty = any */
	unsigned rate_per_hour;	/* fax recipients per sender; 0 = no limit */
	char *smime;		/* "off" or "require": default of the fax domains */
	char *smime_ca;		/* CA file or hashed directory for S/MIME; "" none */
	/* [dialer] */
	unsigned channels;	/* concurrent calls per dialer process */
	char *driver;		/* "sim" */
	unsigned lease;		/* seconds a claimed job stays ours without renewal */
	unsigned poll;		/* seconds between store polls when no wake-up comes */
	char *ident;		/* station identifier (TSI), 20 characters at most */
	char *page_header;	/* page header text */
	int ecm;		/* offer ECM (unless a destination showed it fails) */
	int fine;		/* render at 204x196 (else 204x98) */
	int cover;		/* add a cover page */
	char *spool;		/* local cache of rendered faxes */
	unsigned render_time_limit;	/* seconds per document */
	size_t render_mem_limit;
	unsigned call_limit;	/* hard limit of one call, seconds */
	unsigned calls_per_number;	/* calls at once to one number, all hosts; 0 any */
	char *dialer_metrics;	/* Prometheus endpoint, loopback HOST:PORT; "" none */
	/* [retry] */
	unsigned max_attempts;
	unsigned retry_busy, retry_no_answer, retry_congestion, retry_dropped, retry_error;
	/* [notices] */
	char *sendmail;		/* the MTA's sendmail(8) */
	char *sendmail_config;	/* passed as -C (private MTA instances); empty: none */
	char *notice_from;	/* From: of notices; default MAILER-DAEMON@hostname */
	int gathered;		/* one notice per message (else per recipient) */
	int delayed;		/* "delayed" notices when NOTIFY is absent */
	unsigned notice_retry;	/* seconds between injection attempts */
	unsigned notice_alert;	/* failed injections before the administrator is alerted */
	/* [sim] */
	char *sim_mode;		/* "audio" or "t38" */
	int sim_paced;
	unsigned sim_speed;	/* paced: line seconds per real second */
	char *sim_outdir;
	char *sim_behaviour;	/* NUMBER=BEHAVIOUR list */
	unsigned sim_ring_timeout;
	/* [sip] */
	char *sip_listen;	/* SIP URI to bind, UDP and TCP */
	char *sip_tls_listen;	/* sips: URI, "" = no TLS */
	char *sip_tls_dir;	/* agent.pem + cafile.pem */
	int sip_tls_verify;
	char *sip_trunk;	/* Request-URI template, {dial} and {number} */
	char *sip_from;		/* our identity */
	char *sip_proxy, *sip_registrar, *sip_username, *sip_password;
	char *sip_media_address;
	char *sip_media_ports;	/* "LOW-HIGH" */
	unsigned sip_port_min, sip_port_max;
	int sip_t38;		/* offer and accept T.38 */
	int sip_t38_offer_first;
	unsigned sip_t38_reinvite_delay;	/* ms; calling side */
	char *sip_t38_reinvite_form;	/* "replace" or "audio0" */
	char *sip_t38_ec;	/* preference list: fec redundancy none */
	char *sip_dtls;		/* off, offer, require */
	unsigned sip_session_expires;
	unsigned sip_ring_timeout;
	int sip_inbound;	/* answer incoming calls */
	unsigned sip_inbound_channels;
	char *sip_inbound_ident;	/* our CSI */
	unsigned sip_speed;	/* tests: line seconds per real second */
	unsigned sip_loss_percent;	/* tests: outgoing media dropped */
	unsigned sip_loss_seed;	/* tests: 0 = a fresh loss pattern per call */
	unsigned sip_rtp_conceal;
	unsigned sip_jitter_buffer;	/* ms of fixed playout delay for G.711 */
	char *sip_dtmf_mode;	/* sending: "rfc4733" or "inband" */
	unsigned sip_dtmf_delay;	/* ms after the answer before sending */
	unsigned sip_dtmf_prompt;	/* ms of prompt tone when collecting */
	unsigned sip_dtmf_first, sip_dtmf_inter, sip_dtmf_total;	/* ms */
	/* [onramp] */
	char *onramp_domain;	/* From: FAX=+caller@domain; default hostname */
	char *onramp_from_no_caller;	/* From: without a caller ID */
	char *onramp_envelope_from;	/* sendmail -f: where bounces go */
	char *onramp_socket;	/* unix datagram socket to wake faxgate-onramp; "" none */
	unsigned onramp_poll;	/* seconds between store polls */
	unsigned onramp_retry;	/* seconds before the first retry; doubles, at most an hour */
	unsigned onramp_alert_after;	/* failed injections before alert and "failed" */
	int onramp_pdf;		/* attach a PDF of the pages too */
	char *onramp_tiff2pdf;	/* libtiff's tiff2pdf */
} config_t;

config_t *config_load(const char *path, char *err, size_t errlen);
config_t *config_defaults(void);
void config_free(config_t *cf);
const fax_domain_t *config_fax_domain(const config_t *cf, const char *domain);

#endif
