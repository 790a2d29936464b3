/* \summary: NTP printer (RFC 5905 NTPv4, RFC 1305 NTPv3; control messages
 * draft-ietf-ntp-mode-6-cmds); mode 7 bodies are not decoded, as in tcpdump.
 */
#include "config.h"

#include <time.h>

#include "sniffer/print.h"

#define NTP_TIMEMSG_MINLEN 48U
#define NTP_CTRLMSG_MINLEN 12U
#define VERSIONMASK 0x38
#define VERSIONSHIFT 3
#define LEAPMASK 0xc0
#define MODEMASK 0x07
#define MODE_CONTROL 6
#define UNSPECIFIED 0
#define PRIM_REF 1
#define INFO_QUERY 62
#define INFO_REPLY 63
/* seconds from 1900 (NTP era 0) to 1970 */
#define JAN_1970 2208988800u
#define FMAXINT 4294967296.0

static const struct tok ntp_mode_values[] = {
	{ 0, "unspecified" },
	{ 1, "symmetric active" },
	{ 2, "symmetric passive" },
	{ 3, "Client" },
	{ 4, "Server" },
	{ 5, "Broadcast" },
	{ 6, "Control Message" },
	{ 7, "Reserved" },
	{ 0, NULL }
};

static const struct tok ntp_leapind_values[] = {
	{ 0x00, "" },
	{ 0x40, "+1s" },
	{ 0x80, "-1s" },
	{ 0xc0, "clock unsynchronized" },
	{ 0, NULL }
};

static const struct tok ntp_stratum_values[] = {
	{ UNSPECIFIED, "unspecified" },
	{ PRIM_REF, "primary reference" },
	{ 0, NULL }
};

/* A 64-bit timestamp (RFC 5905 6), with the UTC date when non-zero. */
static void p_ntp_time(struct print_ctx *ndo, const uint8_t *lfp)
{
	uint32_t i = GET_BE_U_4(lfp), uf = GET_BE_U_4(lfp + 4);
	uint32_t f = (uint32_t)((uf / FMAXINT) * 1000000000.0);

	ND_PRINT("%u.%09u", i, f);
	if (i) {
		time_t seconds = (time_t)((int64_t)i - JAN_1970);
		struct tm tmbuf, *tm = gmtime_r(&seconds, &tmbuf);
		char time_buf[128];

		if (tm && strftime(time_buf, sizeof(time_buf), "%Y-%m-%dT%H:%M:%SZ", tm) > 0)
			ND_PRINT(" (%s)", time_buf);
		else
			ND_PRINT(" ([unable to convert time])");
	}
}

/* A 32-bit short format (16.16). */
static void p_sfix(struct print_ctx *ndo, const uint8_t *sfp)
{
	int i = GET_BE_U_2(sfp);
	double ff = GET_BE_U_2(sfp + 2) / 65536.0;

	ND_PRINT("%d.%06d", i, (int)(ff * 1000000.0));
}

static void p_ntp_delta(struct print_ctx *ndo, const uint8_t *olfp, const uint8_t *lfp)
{
	uint32_t u = GET_BE_U_4(lfp), ou = GET_BE_U_4(olfp);
	uint32_t uf = GET_BE_U_4(lfp + 4), ouf = GET_BE_U_4(olfp + 4);
	uint32_t i, f;
	int signbit;

	if (ou == 0 && ouf == 0) {
		p_ntp_time(ndo, lfp);
		return;
	}
	if (u > ou) {
		signbit = 0;
		i = u - ou;
		f = uf - ouf;
		if (ouf > uf)
			i -= 1;
	} else if (u < ou) {
		signbit = 1;
		i = ou - u;
		f = ouf - uf;
		if (uf > ouf)
			i -= 1;
	} else {
		i = 0;
		if (uf > ouf) {
			signbit = 0;
			f = uf - ouf;
		} else {
			signbit = 1;
			f = ouf - uf;
		}
	}
	ND_PRINT("%s%u.%09u", signbit ? "-" : "+", i, (uint32_t)((f / FMAXINT) * 1000000000.0));
}

static void p_poll(struct print_ctx *ndo, int poll_interval)
{
	if (poll_interval <= -32 || poll_interval >= 32)
		return;
	if (poll_interval >= 0)
		ND_PRINT(" (%us)", 1U << poll_interval);
	else
		ND_PRINT(" (1/%us)", 1U << -poll_interval);
}

static void ntp_time_print(struct print_ctx *ndo, const uint8_t *bp, u_int length)
{
	uint8_t stratum;
	u_int i;
	static const char *const tsname[] = {
		"\n\t  Reference Timestamp:  ", "\n\t  Originator Timestamp: ",
		"\n\t  Receive Timestamp:    ", "\n\t  Transmit Timestamp:   ",
	};

	if (length < NTP_TIMEMSG_MINLEN) {
		nd_print_invalid(ndo);
		ND_TCHECK_LEN(bp, length);
		return;
	}
	stratum = GET_U_1(bp + 1);
	ND_PRINT(", Stratum %u (%s)", stratum,
		 tok2str(ntp_stratum_values,
			 (stratum >= 2 && stratum <= 15) ? "secondary reference" : "reserved",
			 stratum));
	ND_PRINT(", poll %d", (int8_t)GET_U_1(bp + 2));
	p_poll(ndo, (int8_t)GET_U_1(bp + 2));
	ND_PRINT(", precision %d", (int8_t)GET_U_1(bp + 3));
	ND_TCHECK_LEN(bp + 4, 4);
	ND_PRINT("\n\tRoot Delay: ");
	p_sfix(ndo, bp + 4);
	ND_TCHECK_LEN(bp + 8, 4);
	ND_PRINT(", Root dispersion: ");
	p_sfix(ndo, bp + 8);
	ND_TCHECK_LEN(bp + 12, 4);
	ND_PRINT(", Reference-ID: ");
	/* what the reference ID means depends on the stratum */
	switch (stratum) {
	case UNSPECIFIED:
		ND_PRINT("(unspec)");
		break;
	case PRIM_REF:
		for (i = 0; i < 4; i++)
			fn_print_char(ndo, GET_U_1(bp + 12 + i));
		break;
	case INFO_QUERY:
		ND_PRINT("%s INFO_QUERY", GET_IPADDR_STRING(bp + 12));
		return;
	case INFO_REPLY:
		ND_PRINT("%s INFO_REPLY", GET_IPADDR_STRING(bp + 12));
		return;
	default:
		ND_PRINT("0x%08x", GET_BE_U_4(bp + 12));
		break;
	}
	for (i = 0; i < 4; i++) {
		ND_TCHECK_LEN(bp + 16 + 8 * i, 8);
		ND_PRINT("%s", tsname[i]);
		p_ntp_time(ndo, bp + 16 + 8 * i);
	}
	ND_PRINT("\n\t    Originator - Receive Timestamp:  ");
	p_ntp_delta(ndo, bp + 24, bp + 32);
	ND_PRINT("\n\t    Originator - Transmit Timestamp: ");
	p_ntp_delta(ndo, bp + 24, bp + 40);

	/* key id and digest (RFC 5905 7.3); extension fields are not known */
	if (length == NTP_TIMEMSG_MINLEN + 4) {
		ND_PRINT("\n\tKey id: %u", GET_BE_U_4(bp + 48));
	} else if (length == NTP_TIMEMSG_MINLEN + 4 + 16 || length == NTP_TIMEMSG_MINLEN + 4 + 20) {
		u_int n = length - NTP_TIMEMSG_MINLEN - 4;

		ND_PRINT("\n\tKey id: %u", GET_BE_U_4(bp + 48));
		ND_TCHECK_LEN(bp + 52, n);
		ND_PRINT("\n\tAuthentication: ");
		for (i = 0; i < n; i += 4)
			ND_PRINT("%08x", GET_BE_U_4(bp + 52 + i));
	} else if (length > NTP_TIMEMSG_MINLEN) {
		ND_PRINT("\n\t(%u more bytes after the header)", length - NTP_TIMEMSG_MINLEN);
	}
	return;
trunc:
	nd_print_trunc(ndo);
}

static void ntp_control_print(struct print_ctx *ndo, const uint8_t *cd, u_int length)
{
	uint8_t control;
	uint16_t count;

	if (length < NTP_CTRLMSG_MINLEN)
		goto invalid;
	control = GET_U_1(cd + 1);
	ND_PRINT(", %s, %s, %s, OpCode=%u\n", (control & 0x80) ? "Response" : "Request",
		 (control & 0x40) ? "Error" : "OK", (control & 0x20) ? "More" : "Last",
		 control & 0x1f);
	ND_PRINT("\tSequence=%hu", GET_BE_U_2(cd + 2));
	ND_PRINT(", Status=%#hx", GET_BE_U_2(cd + 4));
	ND_PRINT(", Assoc.=%hu", GET_BE_U_2(cd + 6));
	ND_PRINT(", Offset=%hu", GET_BE_U_2(cd + 8));
	count = GET_BE_U_2(cd + 10);
	ND_PRINT(", Count=%hu", count);
	if (NTP_CTRLMSG_MINLEN + count > length)
		goto invalid;
	if (count != 0) {
		ND_TCHECK_LEN(cd + 12, count);
		ND_PRINT("\n\tTO-BE-DONE: data not interpreted");
	}
	return;
invalid:
	nd_print_invalid(ndo);
	ND_TCHECK_LEN(cd, length);
	return;
trunc:
	nd_print_trunc(ndo);
}

void ntp_print(struct print_ctx *ndo, const uint8_t *cp, u_int length)
{
	uint8_t status;
	u_int mode;

	ndo->protocol = "ntp";
	status = GET_U_1(cp);
	ND_PRINT("NTPv%u", (status & VERSIONMASK) >> VERSIONSHIFT);
	mode = status & MODEMASK;
	if (!ndo->vflag) {
		ND_PRINT(", %s, length %u", tok2str(ntp_mode_values, "Unknown mode", mode), length);
		return;
	}
	ND_PRINT(", %s, length %u\n", tok2str(ntp_mode_values, "Unknown mode", mode), length);
	ND_PRINT("\tLeap indicator: %s (%u)", tok2str(ntp_leapind_values, "Unknown", status & LEAPMASK),
		 status & LEAPMASK);
	if (mode < MODE_CONTROL)
		ntp_time_print(ndo, cp, length);
	else if (mode == MODE_CONTROL)
		ntp_control_print(ndo, cp, length);
}
