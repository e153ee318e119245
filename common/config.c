/* config.c - faxgate.conf reader; see config.h. */
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <netdb.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "metrics.h"
#include "onramp.h"

enum ktype { K_STR, K_SIZE, K_UINT, K_BOOL, K_LIST };

/* A domain section's dial plan text, merged with the global one at the end. */
struct dom_text {
	char *name;
	char *allow, *deny, *rewrite, *deflt;
	char *smime;
	int line;
};

struct parse {
	config_t *cf;
	char err[512];
	int err_line;
	int cur_line;
	/* [dialplan] text, kept until every section has been read */
	char *allow, *deny, *rewrite, *deflt;
	char *domains_list, *networks, *sender_domains;
	struct dom_text *doms;
	size_t ndoms;
	unsigned seen[64];	/* bitmap of scalar keys given, for duplicates */
};

struct key {
	const char *section, *name;
	enum ktype type;
	size_t off;		/* into config_t, or into struct parse for lists */
	int in_parse;
};

#define CF(f) offsetof(config_t, f), 0
#define PS(f) offsetof(struct parse, f), 1
static const struct key keys[] = {
	{ "general", "hostname", K_STR, CF(hostname) },
	{ "general", "log_level", K_STR, CF(log_level) },
	{ "general", "store", K_STR, CF(store) },
	{ "general", "dialer_socket", K_STR, CF(dialer_socket) },
	{ "milter", "socket", K_STR, CF(milter_socket) },
	{ "milter", "user", K_STR, CF(milter_user) },
	{ "milter", "max_message_size", K_SIZE, CF(max_message_size) },
	{ "milter", "max_fax_recipients", K_UINT, CF(max_fax_recipients) },
	{ "milter", "metrics", K_STR, CF(milter_metrics) },
	{ "fax", "domains", K_LIST, PS(domains_list) },
	{ "fax", "max_documents", K_UINT, CF(max_documents) },
	{ "fax", "tiff_max_pages", K_UINT, CF(tiff_max_pages) },
	{ "fax", "tiff_max_width", K_UINT, CF(tiff_max_width) },
	{ "fax", "tiff_max_height", K_UINT, CF(tiff_max_height) },
	{ "dialplan", "default", K_STR, PS(deflt) },
	{ "dialplan", "allow", K_LIST, PS(allow) },
	{ "dialplan", "deny", K_LIST, PS(deny) },
	{ "dialplan", "rewrite", K_LIST, PS(rewrite) },
	{ "policy", "networks", K_LIST, PS(networks) },
	{ "policy", "authenticated", K_BOOL, CF(allow_authenticated) },
	{ "policy", "sender_domains", K_LIST, PS(sender_domains) },
	{ "policy", "rate_per_hour", K_UINT, CF(rate_per_hour) },
	{ "policy", "smime", K_STR, CF(smime) },
	{ "policy", "smime_ca", K_STR, CF(smime_ca) },
	{ "dialer", "channels", K_UINT, CF(channels) },
	{ "dialer", "driver", K_STR, CF(driver) },
	{ "dialer", "lease", K_UINT, CF(lease) },
	{ "dialer", "poll", K_UINT, CF(poll) },
	{ "dialer", "ident", K_STR, CF(ident) },
	{ "dialer", "page_header", K_STR, CF(page_header) },
	{ "dialer", "ecm", K_BOOL, CF(ecm) },
	{ "dialer", "fine", K_BOOL, CF(fine) },
	{ "dialer", "cover", K_BOOL, CF(cover) },
	{ "dialer", "spool", K_STR, CF(spool) },
	{ "dialer", "render_time_limit", K_UINT, CF(render_time_limit) },
	{ "dialer", "render_mem_limit", K_SIZE, CF(render_mem_limit) },
	{ "dialer", "call_limit", K_UINT, CF(call_limit) },
	{ "dialer", "calls_per_number", K_UINT, CF(calls_per_number) },
	{ "dialer", "metrics", K_STR, CF(dialer_metrics) },
	{ "retry", "max_attempts", K_UINT, CF(max_attempts) },
	{ "retry", "busy", K_UINT, CF(retry_busy) },
	{ "retry", "no_answer", K_UINT, CF(retry_no_answer) },
	{ "retry", "congestion", K_UINT, CF(retry_congestion) },
	{ "retry", "dropped", K_UINT, CF(retry_dropped) },
	{ "retry", "error", K_UINT, CF(retry_error) },
	{ "notices", "sendmail", K_STR, CF(sendmail) },
	{ "notices", "sendmail_config", K_STR, CF(sendmail_config) },
	{ "notices", "from", K_STR, CF(notice_from) },
	{ "notices", "gathered", K_BOOL, CF(gathered) },
	{ "notices", "delayed", K_BOOL, CF(delayed) },
	{ "notices", "retry", K_UINT, CF(notice_retry) },
	{ "notices", "alert_after", K_UINT, CF(notice_alert) },
	{ "sim", "mode", K_STR, CF(sim_mode) },
	{ "sim", "paced", K_BOOL, CF(sim_paced) },
	{ "sim", "speed", K_UINT, CF(sim_speed) },
	{ "sim", "outdir", K_STR, CF(sim_outdir) },
	{ "sim", "behaviour", K_LIST, CF(sim_behaviour) },
	{ "sim", "ring_timeout", K_UINT, CF(sim_ring_timeout) },
	{ "sip", "listen", K_STR, CF(sip_listen) },
	{ "sip", "tls_listen", K_STR, CF(sip_tls_listen) },
	{ "sip", "tls_dir", K_STR, CF(sip_tls_dir) },
	{ "sip", "tls_verify", K_BOOL, CF(sip_tls_verify) },
	{ "sip", "trunk", K_STR, CF(sip_trunk) },
	{ "sip", "from", K_STR, CF(sip_from) },
	{ "sip", "proxy", K_STR, CF(sip_proxy) },
	{ "sip", "registrar", K_STR, CF(sip_registrar) },
	{ "sip", "username", K_STR, CF(sip_username) },
	{ "sip", "password", K_STR, CF(sip_password) },
	{ "sip", "media_address", K_STR, CF(sip_media_address) },
	{ "sip", "media_ports", K_STR, CF(sip_media_ports) },
	{ "sip", "t38", K_BOOL, CF(sip_t38) },
	{ "sip", "t38_offer_first", K_BOOL, CF(sip_t38_offer_first) },
	{ "sip", "t38_reinvite_delay", K_UINT, CF(sip_t38_reinvite_delay) },
	{ "sip", "t38_reinvite_form", K_STR, CF(sip_t38_reinvite_form) },
	{ "sip", "t38_ec", K_STR, CF(sip_t38_ec) },
	{ "sip", "dtls", K_STR, CF(sip_dtls) },
	{ "sip", "session_expires", K_UINT, CF(sip_session_expires) },
	{ "sip", "ring_timeout", K_UINT, CF(sip_ring_timeout) },
	{ "sip", "inbound", K_BOOL, CF(sip_inbound) },
	{ "sip", "inbound_channels", K_UINT, CF(sip_inbound_channels) },
	{ "sip", "inbound_ident", K_STR, CF(sip_inbound_ident) },
	{ "sip", "speed", K_UINT, CF(sip_speed) },
	{ "sip", "loss_percent", K_UINT, CF(sip_loss_percent) },
	{ "sip", "loss_seed", K_UINT, CF(sip_loss_seed) },
	{ "sip", "rtp_conceal", K_UINT, CF(sip_rtp_conceal) },
	{ "sip", "jitter_buffer", K_UINT, CF(sip_jitter_buffer) },
	{ "sip", "dtmf_mode", K_STR, CF(sip_dtmf_mode) },
	{ "sip", "dtmf_delay", K_UINT, CF(sip_dtmf_delay) },
	{ "sip", "dtmf_prompt", K_UINT, CF(sip_dtmf_prompt) },
	{ "sip", "dtmf_first_timeout", K_UINT, CF(sip_dtmf_first) },
	{ "sip", "dtmf_inter_timeout", K_UINT, CF(sip_dtmf_inter) },
	{ "sip", "dtmf_total_timeout", K_UINT, CF(sip_dtmf_total) },
	{ "onramp", "domain", K_STR, CF(onramp_domain) },
	{ "onramp", "from_no_caller", K_STR, CF(onramp_from_no_caller) },
	{ "onramp", "envelope_from", K_STR, CF(onramp_envelope_from) },
	{ "onramp", "socket", K_STR, CF(onramp_socket) },
	{ "onramp", "poll", K_UINT, CF(onramp_poll) },
	{ "onramp", "retry", K_UINT, CF(onramp_retry) },
	{ "onramp", "alert_after", K_UINT, CF(onramp_alert_after) },
	{ "onramp", "pdf", K_BOOL, CF(onramp_pdf) },
	{ "onramp", "tiff2pdf", K_STR, CF(onramp_tiff2pdf) },
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

/* perr - record the first error with its line; returns 0 for inih */
__attribute__((format(printf, 2, 3)))
static int perr(struct parse *p, const char *fmt, ...)
{
	va_list ap;

	if (p->err[0] == '\0') {
		va_start(ap, fmt);
		vsnprintf(p->err, sizeof(p->err), fmt, ap);
		va_end(ap);
		p->err_line = p->cur_line;
	}
	return 0;
}

/* list_append - join a list value to what an earlier line gave */
static void list_append(char **dst, const char *value)
{
	if (*dst == NULL) {
		*dst = strdup(value);
		return;
	}
	size_t n = strlen(*dst) + strlen(value) + 3;
	char *s = malloc(n);
	if (!s)
		return;
	snprintf(s, n, "%s, %s", *dst, value);
	free(*dst);
	*dst = s;
}

/* parse_size - "25M", "512k", "1048576" into bytes, returns 0 or -1 */
static int parse_size(const char *v, size_t *out)
{
	char *end;
	unsigned long long n;

	if (!isdigit((unsigned char)*v))
		return -1;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno)
		return -1;
	switch (tolower((unsigned char)*end)) {
	case 'k': n <<= 10; end++; break;
	case 'm': n <<= 20; end++; break;
	case 'g': n <<= 30; end++; break;
	}
	if (*end != '\0' || n > (1ULL << 40))
		return -1;
	*out = (size_t)n;
	return 0;
}

/* domain_section - the dom_text for "[domain NAME]", created on first use */
static struct dom_text *domain_section(struct parse *p, const char *section)
{
	const char *name = section + 6;

	while (*name == ' ' || *name == '\t')
		name++;
	for (size_t i = 0; i < p->ndoms; i++)
		if (strcasecmp(p->doms[i].name, name) == 0)
			return &p->doms[i];
	struct dom_text *d = realloc(p->doms, (p->ndoms + 1) * sizeof(*d));
	if (!d)
		return NULL;
	p->doms = d;
	d = &p->doms[p->ndoms++];
	memset(d, 0, sizeof(*d));
	d->name = strdup(name);
	for (char *c = d->name; c && *c; c++)
		*c = (char)tolower((unsigned char)*c);
	d->line = p->cur_line;
	return d;
}

/* handler - one key=value from inih */
static int handler(void *user, const char *section, const char *name,
    const char *value)
{
	struct parse *p = user;

	if (strncasecmp(section, "domain ", 7) == 0 ||
	    strncasecmp(section, "domain\t", 7) == 0) {
		struct dom_text *d = domain_section(p, section);
		if (!d || !d->name)
			return perr(p, "out of memory");
		if (d->name[0] == '\0')
			return perr(p, "[domain] section needs a domain name, e.g. [domain fax.example.com]");
		if (strcmp(name, "allow") == 0)
			list_append(&d->allow, value);
		else if (strcmp(name, "deny") == 0)
			list_append(&d->deny, value);
		else if (strcmp(name, "rewrite") == 0)
			list_append(&d->rewrite, value);
		else if (strcmp(name, "default") == 0)
			list_append(&d->deflt, value);
		else if (strcmp(name, "smime") == 0)
			list_append(&d->smime, value);
		else
			return perr(p, "unknown key '%s' in [%s] (known: allow, deny, default, rewrite, smime)", name, section);
		return 1;
	}
	for (size_t i = 0; i < NKEYS; i++) {
		const struct key *k = &keys[i];
		if (strcmp(k->section, section) != 0 || strcmp(k->name, name) != 0)
			continue;
		char *base = k->in_parse ? (char *)p : (char *)p->cf;
		void *field = base + k->off;
		if (k->type == K_LIST) {
			list_append((char **)field, value);
			return 1;
		}
		if (p->seen[i / 32] & (1u << (i % 32)))
			return perr(p, "key '%s' in [%s] is given twice", name, section);
		p->seen[i / 32] |= 1u << (i % 32);
		switch (k->type) {
		case K_STR:
			if (k->in_parse) {
				list_append((char **)field, value);
			} else {
				free(*(char **)field);
				*(char **)field = strdup(value);
			}
			return 1;
		case K_SIZE:
			if (parse_size(value, field) < 0)
				return perr(p, "%s: '%s' is not a size (e.g. 25M, 512k, 1048576)", name, value);
			return 1;
		case K_UINT: {
			char *end;
			errno = 0;
			unsigned long n = strtoul(value, &end, 10);
			if (!isdigit((unsigned char)*value) || *end || errno || n > 1000000000UL)
				return perr(p, "%s: '%s' is not a whole number", name, value);
			*(unsigned *)field = (unsigned)n;
			return 1;
		}
		case K_BOOL:
			if (!strcasecmp(value, "yes") || !strcasecmp(value, "true") || !strcmp(value, "1"))
				*(int *)field = 1;
			else if (!strcasecmp(value, "no") || !strcasecmp(value, "false") || !strcmp(value, "0"))
				*(int *)field = 0;
			else
				return perr(p, "%s: '%s' is not yes or no", name, value);
			return 1;
		case K_LIST:
			break;
		}
	}
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].section, section) == 0)
			return perr(p, "unknown key '%s' in [%s]", name, section);
	return perr(p, "unknown section [%s]", section);
}

/* default_hostname - the FQDN if the resolver knows it, else the nodename */
static char *default_hostname(void)
{
	char host[256] = "localhost";
	struct addrinfo hints = { .ai_flags = AI_CANONNAME }, *ai = NULL;

	gethostname(host, sizeof(host) - 1);
	if (!strchr(host, '.') && getaddrinfo(host, NULL, &hints, &ai) == 0) {
		if (ai && ai->ai_canonname && strchr(ai->ai_canonname, '.'))
			snprintf(host, sizeof(host), "%s", ai->ai_canonname);
		freeaddrinfo(ai);
	}
	return strdup(host);
}

/* config_defaults - a configuration with every default and no fax domain */
config_t *config_defaults(void)
{
	config_t *cf = calloc(1, sizeof(*cf));
	char err[128];

	if (!cf)
		return NULL;
	cf->hostname = NULL;
	cf->log_level = strdup("info");
	cf->store = strdup("sqlite:/var/lib/faxgate/faxgate.db");
	cf->dialer_socket = strdup("/run/faxgate/dialer.sock");
	cf->milter_socket = strdup("unix:/run/faxgate/milter.sock");
	cf->milter_user = strdup("faxgate");
	cf->max_message_size = 25u << 20;
	cf->max_fax_recipients = 50;
	cf->milter_metrics = strdup("");
	cf->max_documents = 20;
	cf->tiff_max_pages = 200;
	cf->tiff_max_width = 4864;
	cf->tiff_max_height = 10000;
	cf->allow_authenticated = 1;
	cf->rate_per_hour = 100;
	cf->smime = strdup("off");
	cf->smime_ca = strdup("");
	cf->channels = 4;
	cf->driver = strdup("sim");
	cf->lease = 300;
	cf->poll = 5;
	cf->ident = strdup("");
	cf->page_header = strdup("faxgate");
	cf->ecm = 1;
	cf->fine = 1;
	cf->cover = 0;
	cf->spool = strdup("/var/spool/faxgate");
	cf->render_time_limit = 120;
	cf->render_mem_limit = 1u << 30;
	cf->call_limit = 1800;
	cf->calls_per_number = 1;
	cf->dialer_metrics = strdup("");
	cf->max_attempts = 6;
	cf->retry_busy = 300;
	cf->retry_no_answer = 600;
	cf->retry_congestion = 300;
	cf->retry_dropped = 120;
	cf->retry_error = 600;
	cf->sendmail = strdup("/usr/sbin/sendmail");
	cf->sendmail_config = strdup("");
	cf->notice_from = NULL;
	cf->gathered = 1;
	cf->delayed = 0;
	cf->notice_retry = 300;
	cf->notice_alert = 5;
	cf->sim_mode = strdup("t38");
	cf->sim_paced = 0;
	cf->sim_speed = 1;
	cf->sim_outdir = strdup("/var/spool/faxgate/sim");
	cf->sim_behaviour = NULL;
	cf->sim_ring_timeout = 30;
	cf->sip_listen = strdup("sip:127.0.0.1:5060");
	cf->sip_tls_listen = strdup("");
	cf->sip_tls_dir = strdup("/etc/faxgate/tls");
	cf->sip_tls_verify = 1;
	cf->sip_trunk = strdup("");
	cf->sip_from = strdup("");
	cf->sip_proxy = strdup("");
	cf->sip_registrar = strdup("");
	cf->sip_username = strdup("");
	cf->sip_password = strdup("");
	cf->sip_media_address = strdup("127.0.0.1");
	cf->sip_media_ports = strdup("16000-16999");
	cf->sip_t38 = 1;
	cf->sip_t38_offer_first = 0;
	cf->sip_t38_reinvite_delay = 2000;
	cf->sip_t38_reinvite_form = strdup("replace");
	cf->sip_t38_ec = strdup("fec redundancy none");
	cf->sip_dtls = strdup("off");
	cf->sip_session_expires = 0;
	cf->sip_ring_timeout = 60;
	cf->sip_inbound = 1;
	cf->sip_inbound_channels = 8;
	cf->sip_inbound_ident = strdup("");
	cf->sip_speed = 1;
	cf->sip_loss_percent = 0;
	cf->sip_loss_seed = 0;
	cf->sip_rtp_conceal = 0;
	cf->sip_jitter_buffer = 160;
	cf->sip_dtmf_mode = strdup("rfc4733");
	cf->sip_dtmf_delay = 1500;
	cf->sip_dtmf_prompt = 1000;
	cf->sip_dtmf_first = 10000;
	cf->sip_dtmf_inter = 5000;
	cf->sip_dtmf_total = 30000;
	cf->onramp_domain = NULL;
	cf->onramp_from_no_caller = NULL;
	cf->onramp_envelope_from = NULL;
	cf->onramp_socket = strdup("");
	cf->onramp_poll = 5;
	cf->onramp_retry = 300;
	cf->onramp_alert_after = 5;
	cf->onramp_pdf = 1;
	cf->onramp_tiff2pdf = strdup("/usr/bin/tiff2pdf");
	cidr_list_parse("127.0.0.0/8, ::1/128", &cf->networks, err, sizeof(err));
	cf->sender_domains = calloc(1, sizeof(char *));
	return cf;
}

/* build_dialplan - global text plus a domain's, returns 0 or -1 */
static int build_dialplan(struct parse *p, fax_domain_t *fd, const struct dom_text *d)
{
	const char *deflt = d && d->deflt ? d->deflt : p->deflt;
	const char *rewrite = d && d->rewrite ? d->rewrite : p->rewrite;
	char err[256];

	fd->dialplan = dialplan_new();
	if (!fd->dialplan)
		return perr(p, "out of memory"), -1;
	if (deflt) {
		if (strcasecmp(deflt, "allow") == 0)
			dialplan_set_default(fd->dialplan, DIALPLAN_ALLOW);
		else if (strcasecmp(deflt, "deny") == 0)
			dialplan_set_default(fd->dialplan, DIALPLAN_DENY);
		else
			return perr(p, "dial plan default '%s' for %s is neither allow nor deny", deflt, fd->name), -1;
	}
	if ((p->allow && dialplan_add_list(fd->dialplan, DIALPLAN_ALLOW, p->allow, err, sizeof(err)) < 0) ||
	    (p->deny && dialplan_add_list(fd->dialplan, DIALPLAN_DENY, p->deny, err, sizeof(err)) < 0) ||
	    (d && d->allow && dialplan_add_list(fd->dialplan, DIALPLAN_ALLOW, d->allow, err, sizeof(err)) < 0) ||
	    (d && d->deny && dialplan_add_list(fd->dialplan, DIALPLAN_DENY, d->deny, err, sizeof(err)) < 0) ||
	    (rewrite && dialplan_add_rewrites(fd->dialplan, rewrite, err, sizeof(err)) < 0))
		return perr(p, "%s", err), -1;
	return 0;
}

/* add_domain - append a fax domain, returns it or NULL */
static fax_domain_t *add_domain(config_t *cf, const char *name)
{
	fax_domain_t *d = realloc(cf->domains, (cf->ndomains + 1) * sizeof(*d));

	if (!d)
		return NULL;
	cf->domains = d;
	d = &cf->domains[cf->ndomains++];
	d->name = strdup(name);
	d->dialplan = NULL;
	for (char *c = d->name; c && *c; c++)
		*c = (char)tolower((unsigned char)*c);
	return d;
}

/* check_smime - a domain's S/MIME setting ([policy] smime, or its own); 0 or -1 */
static int check_smime(struct parse *p, fax_domain_t *fd, const struct dom_text *d)
{
	const char *v = d && d->smime ? d->smime : p->cf->smime;

	if (strcmp(v, "off") != 0 && strcmp(v, "require") != 0)
		return perr(p, "smime '%s' for %s must be off or require", v, fd->name), -1;
	fd->smime_required = strcmp(v, "require") == 0;
	/* Without a CA store nothing could ever verify: refuse to start
	 * rather than refuse every fax. */
	if (fd->smime_required && !*p->cf->smime_ca)
		return perr(p, "smime = require for %s needs [policy] smime_ca (a CA file or hashed directory)",
		    fd->name), -1;
	return 0;
}

/* finish - turn the collected text into checked structures, 0 or -1 */

/* check_sip - the [sip] section, 0 or -1 with the error recorded */
static int check_sip(struct parse *p, config_t *cf)
{
	unsigned lo, hi;
	char tail;

	if (sscanf(cf->sip_media_ports, "%u-%u%c", &lo, &hi, &tail) != 2 ||
	    lo < 1024 || hi > 65535 || hi < lo + 1)
		return perr(p, "[sip] media_ports '%s' must be LOW-HIGH within 1024-65535, at least two ports",
		    cf->sip_media_ports), -1;
	cf->sip_port_min = lo;
	cf->sip_port_max = hi;
	if (strcmp(cf->sip_dtls, "off") != 0 && strcmp(cf->sip_dtls, "offer") != 0 &&
	    strcmp(cf->sip_dtls, "require") != 0)
		return perr(p, "[sip] dtls '%s' must be off, offer or require", cf->sip_dtls), -1;
	if (strcmp(cf->sip_t38_reinvite_form, "replace") != 0 &&
	    strcmp(cf->sip_t38_reinvite_form, "audio0") != 0)
		return perr(p, "[sip] t38_reinvite_form '%s' must be replace or audio0",
		    cf->sip_t38_reinvite_form), -1;
	{
		char *copy = strdup(cf->sip_t38_ec), *save = NULL, *w;
		int bad = 0;

		for (w = copy ? strtok_r(copy, " \t,", &save) : NULL; w; w = strtok_r(NULL, " \t,", &save))
			if (strcmp(w, "fec") != 0 && strcmp(w, "redundancy") != 0 && strcmp(w, "none") != 0)
				bad = 1;
		free(copy);
		if (bad)
			return perr(p, "[sip] t38_ec '%s': each entry must be fec, redundancy or none", cf->sip_t38_ec), -1;
	}
	if (cf->sip_speed < 1 || cf->sip_speed > 50)
		return perr(p, "[sip] speed must be between 1 and 50"), -1;
	if (cf->sip_loss_percent > 90)
		return perr(p, "[sip] loss_percent must be between 0 and 90"), -1;
	if (cf->sip_jitter_buffer < 20 || cf->sip_jitter_buffer > 320 || cf->sip_jitter_buffer % 20)
		return perr(p, "[sip] jitter_buffer must be a multiple of 20 ms from 20 to 320"), -1;
	if (cf->sip_rtp_conceal > 50)
		return perr(p, "[sip] rtp_conceal must be between 0 and 50"), -1;
	if (strcmp(cf->sip_dtmf_mode, "rfc4733") != 0 && strcmp(cf->sip_dtmf_mode, "inband") != 0)
		return perr(p, "[sip] dtmf_mode '%s' must be rfc4733 or inband", cf->sip_dtmf_mode), -1;
	if (cf->sip_dtmf_delay > 60000 || cf->sip_dtmf_prompt > 10000 || cf->sip_dtmf_first > 120000 ||
	    cf->sip_dtmf_inter > 60000 || cf->sip_dtmf_total > 300000)
		return perr(p, "[sip] dtmf_* times are out of range (delay <= 60000, prompt <= 10000, "
		    "first_timeout <= 120000, inter_timeout <= 60000, total_timeout <= 300000 ms)"), -1;
	if (cf->sip_inbound_channels > 1000)
		return perr(p, "[sip] inbound_channels must be at most 1000"), -1;
	if (strlen(cf->sip_inbound_ident) > 20)
		return perr(p, "[sip] inbound_ident '%s' is longer than 20 characters", cf->sip_inbound_ident), -1;
	if (strcmp(cf->driver, "sip") == 0) {
		if (strncmp(cf->sip_listen, "sip:", 4) != 0)
			return perr(p, "[sip] listen '%s' must be a sip: URI such as sip:127.0.0.1:5060",
			    cf->sip_listen), -1;
		if (*cf->sip_tls_listen && strncmp(cf->sip_tls_listen, "sips:", 5) != 0)
			return perr(p, "[sip] tls_listen '%s' must be a sips: URI", cf->sip_tls_listen), -1;
		if (!*cf->sip_trunk || (strncmp(cf->sip_trunk, "sip:", 4) != 0 &&
		    strncmp(cf->sip_trunk, "sips:", 5) != 0))
			return perr(p, "[sip] trunk must be a sip: or sips: URI with {dial}, e.g. sip:{dial}@192.0.2.1"), -1;
		if (strstr(cf->sip_trunk, "{dial}") == NULL && strstr(cf->sip_trunk, "{number}") == NULL)
			return perr(p, "[sip] trunk '%s' has neither {dial} nor {number}", cf->sip_trunk), -1;
		if (*cf->sip_password && !*cf->sip_username)
			return perr(p, "[sip] password without username"), -1;
	}
	return 0;
}

/* derive - a default built from another value: fmt with one %s */
static char *derive(const char *fmt, const char *v)
{
	size_t n = strlen(fmt) + strlen(v);
	char *s = malloc(n);

	if (s)
		snprintf(s, n, fmt, v);
	return s;
}

/* check_onramp - the [onramp] section and its derived defaults; 0 or -1 */
static int check_onramp(struct parse *p, config_t *cf)
{
	char err[160];

	/* Only values given here are checked: a default derived from a host
	 * name that is no domain must not stop the milter or the dialer
	 * (faxgate-onramp checks what it will use when it starts). */
	if (cf->onramp_domain && onramp_check(ONRAMP_F_DOMAIN, cf->onramp_domain, err,
	    sizeof(err)) < 0)
		return perr(p, "[onramp] domain: %s", err), -1;
	if (cf->onramp_from_no_caller && onramp_check(ONRAMP_F_ADDRESS, cf->onramp_from_no_caller,
	    err, sizeof(err)) < 0)
		return perr(p, "[onramp] from_no_caller: %s", err), -1;
	if (cf->onramp_envelope_from && onramp_check(ONRAMP_F_ADDRESS, cf->onramp_envelope_from,
	    err, sizeof(err)) < 0)
		return perr(p, "[onramp] envelope_from: %s", err), -1;
	if (!cf->onramp_domain)
		cf->onramp_domain = strdup(cf->hostname);
	if (!cf->onramp_from_no_caller)
		cf->onramp_from_no_caller = derive("fax-noreply@%s", cf->onramp_domain);
	if (!cf->onramp_envelope_from)
		cf->onramp_envelope_from = derive("postmaster@%s", cf->hostname);
	if (!cf->onramp_domain || !cf->onramp_from_no_caller || !cf->onramp_envelope_from)
		return perr(p, "out of memory"), -1;
	if (cf->onramp_poll == 0)
		return perr(p, "[onramp] poll must be at least 1 second"), -1;
	if (cf->onramp_retry == 0)
		return perr(p, "[onramp] retry must be at least 1 second"), -1;
	if (cf->onramp_alert_after == 0)
		return perr(p, "[onramp] alert_after must be at least 1"), -1;
	if (cf->onramp_tiff2pdf[0] != '/')
		return perr(p, "[onramp] tiff2pdf '%s' must be an absolute path", cf->onramp_tiff2pdf),
		    -1;
	return 0;
}

static int finish(struct parse *p)
{
	config_t *cf = p->cf;
	char err[256];

	p->cur_line = 0;
	if (log_set_level(cf->log_level) < 0)
		return perr(p, "log_level '%s' is not one of error, warning, notice, info, debug", cf->log_level), -1;
	if (!cf->hostname)
		cf->hostname = default_hostname();
	if (!cf->notice_from) {
		size_t n = strlen(cf->hostname) + 16;
		if ((cf->notice_from = malloc(n)) != NULL)
			snprintf(cf->notice_from, n, "MAILER-DAEMON@%s", cf->hostname);
	}
	if (strcmp(cf->driver, "sim") != 0 && strcmp(cf->driver, "sip") != 0)
		return perr(p, "[dialer] driver '%s' is not known (sim, sip)", cf->driver), -1;
	if (check_sip(p, cf) < 0 || check_onramp(p, cf) < 0)
		return -1;
	if (cf->channels == 0 || cf->channels > 1000)
		return perr(p, "[dialer] channels must be between 1 and 1000"), -1;
	if (cf->lease < 10)
		return perr(p, "[dialer] lease must be at least 10 seconds"), -1;
	if (cf->calls_per_number > 64)
		return perr(p, "[dialer] calls_per_number must be between 0 (no limit) and 64"), -1;
	if (cf->poll == 0)
		return perr(p, "[dialer] poll must be at least 1 second"), -1;
	if (strlen(cf->ident) > 20)
		return perr(p, "[dialer] ident '%s' is longer than 20 characters", cf->ident), -1;
	if (cf->max_attempts == 0)
		return perr(p, "[retry] max_attempts must be at least 1"), -1;
	if (cf->sim_speed < 1 || cf->sim_speed > 50)
		return perr(p, "[sim] speed must be between 1 and 50"), -1;
	if (strcmp(cf->sim_mode, "audio") != 0 && strcmp(cf->sim_mode, "t38") != 0)
		return perr(p, "[sim] mode '%s' must be audio or t38", cf->sim_mode), -1;
	if (strncmp(cf->store, "sqlite:", 7) != 0 && strncmp(cf->store, "postgresql:", 11) != 0 &&
	    strchr(cf->store, ':') != NULL)
		return perr(p, "store '%s': want sqlite:PATH (or a plain path) or postgresql:DSN",
		    cf->store), -1;
	if (strncmp(cf->milter_socket, "unix:", 5) != 0 && strncmp(cf->milter_socket, "local:", 6) != 0 &&
	    strncmp(cf->milter_socket, "inet:", 5) != 0 && strncmp(cf->milter_socket, "inet6:", 6) != 0)
		return perr(p, "milter socket '%s' must be unix:PATH, inet:PORT@HOST or inet6:PORT@HOST", cf->milter_socket), -1;
	if (cf->max_message_size < 1024)
		return perr(p, "max_message_size must be at least 1k"), -1;
	{
		struct sockaddr_storage ss;
		if (metrics_addr_parse(cf->milter_metrics, &ss, err, sizeof(err)) < 0)
			return perr(p, "[milter] %s", err), -1;
		if (metrics_addr_parse(cf->dialer_metrics, &ss, err, sizeof(err)) < 0)
			return perr(p, "[dialer] %s", err), -1;
	}
	if (p->networks) {
		cidr_list_free(&cf->networks);
		if (cidr_list_parse(p->networks, &cf->networks, err, sizeof(err)) < 0)
			return perr(p, "[policy] networks: %s", err), -1;
	}
	if (p->sender_domains) {
		size_t n = 0;
		char *s = p->sender_domains, *tok, *save = NULL;
		free(cf->sender_domains);
		cf->sender_domains = calloc(strlen(s) / 2 + 2, sizeof(char *));
		for (tok = strtok_r(s, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save))
			cf->sender_domains[n++] = strdup(tok);
	}
	if (p->domains_list) {
		char *tok, *save = NULL;
		for (tok = strtok_r(p->domains_list, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save))
			if (!config_fax_domain(cf, tok) && !add_domain(cf, tok))
				return perr(p, "out of memory"), -1;
	}
	/* A [domain NAME] section also declares NAME a fax domain. */
	for (size_t i = 0; i < p->ndoms; i++)
		if (!config_fax_domain(cf, p->doms[i].name) && !add_domain(cf, p->doms[i].name))
			return perr(p, "out of memory"), -1;
	if (cf->ndomains == 0)
		return perr(p, "no fax domain: set [fax] domains, e.g. domains = fax.example.com"), -1;
	for (size_t i = 0; i < cf->ndomains; i++) {
		const struct dom_text *d = NULL;
		for (size_t j = 0; j < p->ndoms; j++)
			if (strcmp(p->doms[j].name, cf->domains[i].name) == 0)
				d = &p->doms[j], p->cur_line = p->doms[j].line;
		if (build_dialplan(p, &cf->domains[i], d) < 0 || check_smime(p, &cf->domains[i], d) < 0)
			return -1;
		p->cur_line = 0;
	}
	return 0;
}

/* config_load - read and check path, returns the config or NULL */
config_t *config_load(const char *path, char *err, size_t errlen)
{
	struct parse p;
	int rc;

	memset(&p, 0, sizeof(p));
	p.cf = config_defaults();
	if (!p.cf) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	p.cf->path = strdup(path);
	FILE *fp = fopen(path, "r");
	if (!fp) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		config_free(p.cf);
		return NULL;
	}
	/* libinih (as Debian builds it) cuts lines at INI_MAX_LINE and reads
	 * the rest as a new line: refuse them here instead, precisely. */
	{
		char *line = NULL;
		size_t cap = 0;
		ssize_t len;
		int lineno = 0;
		while ((len = getline(&line, &cap, fp)) >= 0) {
			lineno++;
			while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
				len--;
			if (len > INI_MAX_LINE - 2 && p.err[0] == '\0') {
				snprintf(p.err, sizeof(p.err), "line is longer than %d characters;"
				    " continue a list on the next lines, indented", INI_MAX_LINE - 2);
				p.err_line = lineno;
			}
		}
		free(line);
		rewind(fp);
	}
	rc = p.err[0] ? 0 : ini_parse_file(fp, handler, &p);
	fclose(fp);
	if (rc > 0 && p.err[0] == '\0')
		snprintf(p.err, sizeof(p.err), "syntax error (want key = value or [section])"), p.err_line = rc;
	else if (rc > 0)
		p.err_line = rc;
	if (p.err[0] == '\0')
		finish(&p);
	free(p.allow); free(p.deny); free(p.rewrite); free(p.deflt);
	free(p.domains_list); free(p.networks); free(p.sender_domains);
	for (size_t i = 0; i < p.ndoms; i++) {
		free(p.doms[i].name); free(p.doms[i].allow); free(p.doms[i].deny);
		free(p.doms[i].rewrite); free(p.doms[i].deflt); free(p.doms[i].smime);
	}
	free(p.doms);
	if (p.err[0]) {
		if (p.err_line > 0)
			snprintf(err, errlen, "%s:%d: %s", path, p.err_line, p.err);
		else
			snprintf(err, errlen, "%s: %s", path, p.err);
		config_free(p.cf);
		return NULL;
	}
	return p.cf;
}

/* config_fax_domain - our fax domain called domain, or NULL */
const fax_domain_t *config_fax_domain(const config_t *cf, const char *domain)
{
	for (size_t i = 0; i < cf->ndomains; i++)
		if (strcasecmp(cf->domains[i].name, domain) == 0)
			return &cf->domains[i];
	return NULL;
}

/* config_free - release everything */
void config_free(config_t *cf)
{
	if (!cf)
		return;
	free(cf->path); free(cf->hostname); free(cf->log_level); free(cf->store);
	free(cf->dialer_socket); free(cf->milter_socket); free(cf->milter_user);
	free(cf->driver); free(cf->ident); free(cf->page_header); free(cf->spool);
	free(cf->sendmail); free(cf->sendmail_config); free(cf->notice_from);
	free(cf->sim_mode); free(cf->sim_outdir); free(cf->sim_behaviour);
	free(cf->sip_listen); free(cf->sip_tls_listen); free(cf->sip_tls_dir);
	free(cf->sip_trunk); free(cf->sip_from); free(cf->sip_proxy);
	free(cf->sip_registrar); free(cf->sip_username); free(cf->sip_password);
	free(cf->sip_media_address); free(cf->sip_media_ports);
	free(cf->sip_t38_reinvite_form); free(cf->sip_t38_ec); free(cf->sip_dtls);
	free(cf->sip_inbound_ident); free(cf->sip_dtmf_mode);
	free(cf->onramp_domain); free(cf->onramp_from_no_caller); free(cf->onramp_envelope_from);
	free(cf->onramp_socket); free(cf->onramp_tiff2pdf);
	free(cf->milter_metrics); free(cf->dialer_metrics);
	free(cf->smime); free(cf->smime_ca);
	for (size_t i = 0; i < cf->ndomains; i++) {
		free(cf->domains[i].name);
		dialplan_free(cf->domains[i].dialplan);
	}
	free(cf->domains);
	cidr_list_free(&cf->networks);
	for (char **s = cf->sender_domains; s && *s; s++)
		free(*s);
	free(cf->sender_domains);
	free(cf);
}
