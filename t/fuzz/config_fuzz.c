/*
 * config_fuzz.c - libFuzzer target for common/config.c: the whole of
 * faxgate.conf, read with libinih, checked, and the dial plans built.
 *
 *	make fuzz		(every target, see the Makefile)
 *
 * config_load() only reads a path, so each input becomes an anonymous
 * memory file (memfd_create) read through /proc/self/fd/N: nothing is
 * written to disk and the descriptor is closed after every input.
 *
 * Besides memory errors and leaks it aborts when a promise of config.h
 * breaks:
 *   - a refusal is NULL with err "PATH:LINE: reason" or "PATH: reason";
 *   - an accepted file gives a configuration in which every string is
 *     set, at least one fax domain exists, each lower case with a dial
 *     plan and found again by config_fax_domain() in any case, and every
 *     value config.c checks is within its documented range;
 *   - loading the same bytes again gives the same answer (no state is
 *     left behind by an earlier load, e.g. the log level).
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config.h"

#define CHECK(c)	do { if (!(c)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* err_ok - "PATH:LINE: reason" or "PATH: reason", returns 0/1 */
static int err_ok(const char *err, const char *path)
{
	size_t n = strlen(path);
	const char *p = err + n;

	if (strncmp(err, path, n) != 0 || *p != ':')
		return 0;
	p++;
	if (isdigit((unsigned char)*p)) {
		while (isdigit((unsigned char)*p))
			p++;
		if (*p++ != ':')
			return 0;
	}
	return *p == ' ' && p[1] != '\0';
}

/* upper - an upper-case copy of s in buf */
static const char *upper(const char *s, char *buf, size_t size)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < size; i++)
		buf[i] = (char)toupper((unsigned char)s[i]);
	buf[i] = '\0';
	return buf;
}

/* check_config - the promises an accepted configuration keeps */
static void check_config(const config_t *cf)
{
	const char *strs[] = { cf->path, cf->hostname, cf->log_level, cf->store,
		cf->dialer_socket, cf->milter_socket, cf->milter_user, cf->driver,
		cf->ident, cf->page_header, cf->spool, cf->sendmail, cf->sendmail_config,
		cf->notice_from, cf->sim_mode, cf->sim_outdir, cf->sip_listen,
		cf->sip_tls_listen, cf->sip_tls_dir, cf->sip_trunk, cf->sip_from,
		cf->sip_proxy, cf->sip_registrar, cf->sip_username, cf->sip_password,
		cf->sip_media_address, cf->sip_media_ports, cf->sip_t38_reinvite_form,
		cf->sip_t38_ec, cf->sip_dtls, cf->sip_inbound_ident, cf->sip_dtmf_mode,
		cf->onramp_domain, cf->onramp_from_no_caller, cf->onramp_envelope_from,
		cf->onramp_socket, cf->onramp_tiff2pdf };
	char buf[512];
	size_t i;

	for (i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		CHECK(strs[i] != NULL);
	CHECK(cf->ndomains >= 1 && cf->domains != NULL);
	for (i = 0; i < cf->ndomains; i++) {
		const char *name = cf->domains[i].name;

		CHECK(name != NULL && name[0] != '\0' && cf->domains[i].dialplan != NULL);
		for (const char *c = name; *c; c++)
			CHECK(tolower((unsigned char)*c) == (unsigned char)*c);
		/* Names are unique, so the lookup finds this very entry. */
		CHECK(config_fax_domain(cf, name) == &cf->domains[i]);
		CHECK(config_fax_domain(cf, upper(name, buf, sizeof(buf))) == &cf->domains[i]
		    || strlen(name) >= sizeof(buf));
	}
	CHECK(cf->sender_domains != NULL);
	for (char **s = cf->sender_domains; *s; s++)
		CHECK(**s != '\0');
	CHECK(!strcmp(cf->driver, "sim") || !strcmp(cf->driver, "sip"));
	CHECK(cf->channels >= 1 && cf->channels <= 1000);
	CHECK(cf->lease >= 10 && cf->poll >= 1 && cf->max_attempts >= 1);
	CHECK(strlen(cf->ident) <= 20 && strlen(cf->sip_inbound_ident) <= 20);
	CHECK(cf->sim_speed >= 1 && cf->sim_speed <= 50);
	CHECK(!strcmp(cf->sim_mode, "audio") || !strcmp(cf->sim_mode, "t38"));
	CHECK(strncmp(cf->store, "sqlite:", 7) == 0 || strchr(cf->store, ':') == NULL);
	CHECK(cf->max_message_size >= 1024);
	CHECK(cf->sip_port_min >= 1024 && cf->sip_port_max <= 65535 &&
	    cf->sip_port_max > cf->sip_port_min);
	CHECK(!strcmp(cf->sip_dtls, "off") || !strcmp(cf->sip_dtls, "offer") ||
	    !strcmp(cf->sip_dtls, "require"));
	CHECK(!strcmp(cf->sip_t38_reinvite_form, "replace") ||
	    !strcmp(cf->sip_t38_reinvite_form, "audio0"));
	CHECK(cf->sip_speed >= 1 && cf->sip_speed <= 50 && cf->sip_loss_percent <= 90);
	CHECK(cf->sip_jitter_buffer >= 20 && cf->sip_jitter_buffer <= 320 &&
	    cf->sip_jitter_buffer % 20 == 0 && cf->sip_rtp_conceal <= 50);
	CHECK(!strcmp(cf->sip_dtmf_mode, "rfc4733") || !strcmp(cf->sip_dtmf_mode, "inband"));
	CHECK(cf->sip_dtmf_delay <= 60000 && cf->sip_dtmf_prompt <= 10000 &&
	    cf->sip_dtmf_first <= 120000 && cf->sip_dtmf_inter <= 60000 &&
	    cf->sip_dtmf_total <= 300000 && cf->sip_inbound_channels <= 1000);
	if (!strcmp(cf->driver, "sip")) {
		CHECK(strncmp(cf->sip_listen, "sip:", 4) == 0);
		CHECK(!strncmp(cf->sip_trunk, "sip:", 4) || !strncmp(cf->sip_trunk, "sips:", 5));
		CHECK(strstr(cf->sip_trunk, "{dial}") || strstr(cf->sip_trunk, "{number}"));
		CHECK(*cf->sip_username || !*cf->sip_password);
	}
	CHECK(cf->onramp_poll >= 1 && cf->onramp_retry >= 1 && cf->onramp_alert_after >= 1);
	CHECK(cf->onramp_tiff2pdf[0] == '/');
}

/* load - config_load over a memory file, returns the config or NULL */
static config_t *load(const uint8_t *data, size_t size, char *path, size_t pathlen,
    char *err, size_t errlen)
{
	config_t *cf;
	int fd = memfd_create("faxgate.conf", MFD_CLOEXEC);

	CHECK(fd >= 0);
	CHECK(size == 0 || write(fd, data, size) == (ssize_t)size);
	snprintf(path, pathlen, "/proc/self/fd/%d", fd);
	err[0] = '\0';
	cf = config_load(path, err, errlen);
	close(fd);
	return cf;
}

/* LLVMFuzzerTestOneInput - check one file, returns 0 (aborts on a bug) */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64], path2[64], err[1024], err2[1024];
	config_t *cf, *cf2;

	if (size > 65536)
		return 0;
	cf = load(data, size, path, sizeof(path), err, sizeof(err));
	if (cf == NULL) {
		CHECK(err_ok(err, path));
	} else {
		CHECK(strcmp(cf->path, path) == 0);
		check_config(cf);
	}
	cf2 = load(data, size, path2, sizeof(path2), err2, sizeof(err2));
	CHECK((cf == NULL) == (cf2 == NULL));
	/* The same descriptor number comes back, so even the text agrees. */
	if (cf == NULL && strcmp(path, path2) == 0)
		CHECK(strcmp(err, err2) == 0);
	if (cf != NULL) {
		CHECK(cf->ndomains == cf2->ndomains && strcmp(cf->hostname, cf2->hostname) == 0);
		for (size_t i = 0; i < cf->ndomains; i++)
			CHECK(strcmp(cf->domains[i].name, cf2->domains[i].name) == 0);
	}
	config_free(cf);
	config_free(cf2);
	return 0;
}
