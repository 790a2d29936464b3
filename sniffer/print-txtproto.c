/* \summary: text-protocol printers over TCP: HTTP (RFC 9110/9112), FTP
 * (RFC 959), SMTP (RFC 5321), RTSP (RFC 2326), WHOIS (RFC 3912); the
 * protocol name and, for a request or a response, its first line
 * (all text lines with -v), as tcpdump's txtproto_print() shows them.
 */
#include "config.h"

#include <strings.h>

#include "sniffer/print.h"

#define MAX_TOKEN 128
/* The response code is the second token ("HTTP/1.1 200 OK"). */
#define RESP_CODE_SECOND_TOKEN 0x00000001

static const char *const httpcmds[] = {
	"GET", "PUT", "COPY", "HEAD", "LOCK", "MOVE", "POLL", "POST", "BCOPY", "BMOVE", "MKCOL",
	"TRACE", "LABEL", "MERGE", "DELETE", "SEARCH", "UNLOCK", "REPORT", "UPDATE", "NOTIFY",
	"BDELETE", "CONNECT", "OPTIONS", "CHECKIN", "PROPFIND", "CHECKOUT", "CCM_POST",
	"SUBSCRIBE", "PROPPATCH", "BPROPFIND", "BPROPPATCH", "UNCHECKOUT", "MKACTIVITY",
	"MKWORKSPACE", "UNSUBSCRIBE", "RPC_CONNECT", "VERSION-CONTROL", "BASELINE-CONTROL",
	NULL
};

static const char *const rtspcmds[] = {
	"OPTIONS", "DESCRIBE", "ANNOUNCE", "SETUP", "PLAY", "PAUSE", "TEARDOWN", "GET_PARAMETER",
	"SET_PARAMETER", "REDIRECT", "RECORD", "FLUSH", NULL
};

/* One token into tbuf; the index after it and its trailing blanks, or 0
 * when there is none or it is not printable ASCII. */
static u_int fetch_token(struct print_ctx *ndo, const uint8_t *pptr, u_int idx, u_int len,
			 char *tbuf, size_t tbuflen)
{
	size_t toklen = 0;
	uint8_t c;

	for (; idx < len; idx++) {
		if (!ND_TTEST_1(pptr + idx))
			return 0;
		c = GET_U_1(pptr + idx);
		if (c & 0x80)
			return 0;
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			break;
		if (!ND_ASCII_ISPRINT(c))
			return 0;
		if (toklen + 2 > tbuflen)
			return 0;
		tbuf[toklen++] = (char)c;
	}
	if (toklen == 0)
		return 0;
	tbuf[toklen] = '\0';
	for (; idx < len; idx++) {
		if (!ND_TTEST_1(pptr + idx))
			break;
		c = GET_U_1(pptr + idx);
		if (c == '\r' || c == '\n')
			break;
		if (!ND_ASCII_ISPRINT(c))
			break;
		if (c != ' ' && c != '\t')
			break;
	}
	return idx;
}

/* One line after `prefix`; the index of the next line, or 0 at binary
 * data or a line without its end in the packet. */
static u_int print_txt_line(struct print_ctx *ndo, const char *prefix, const uint8_t *pptr,
			    u_int idx, u_int len)
{
	u_int startidx = idx, linelen;
	uint8_t c;

	while (idx < len) {
		c = GET_U_1(pptr + idx);
		if (c == '\n') {
			linelen = idx - startidx;
			idx++;
			goto print;
		} else if (c == '\r') {
			if (idx + 1 >= len)
				return 0;
			if (GET_U_1(pptr + idx + 1) == '\n') {
				linelen = idx - startidx;
				idx += 2;
				goto print;
			}
			return 0;
		} else if (!ND_ASCII_ISPRINT(c) && c != '\t')
			return 0;
		idx++;
	}
	linelen = idx - startidx;
	ND_PRINT("%s%.*s", prefix, (int)linelen, (const char *)pptr + startidx);
	nd_print_trunc(ndo);
	return 0;
print:
	ND_PRINT("%s%.*s", prefix, (int)linelen, (const char *)pptr + startidx);
	return idx;
}

static void txtproto_print(struct print_ctx *ndo, const uint8_t *pptr, u_int len,
			   const char *const *cmds, u_int flags)
{
	char token[MAX_TOKEN + 1];
	const char *pn;
	int print_this = 0;
	u_int idx, eol;

	if (cmds != NULL) {
		/* only a request or response line starts something worth
		 * printing; body continuations are left alone */
		idx = fetch_token(ndo, pptr, 0, len, token, sizeof(token));
		if (idx != 0) {
			for (; *cmds; cmds++)
				if (strcasecmp(token, *cmds) == 0) {
					print_this = 1;
					break;
				}
			if (flags & RESP_CODE_SECOND_TOKEN)
				idx = fetch_token(ndo, pptr, idx, len, token, sizeof(token));
			if (idx != 0 && token[0] >= '0' && token[0] <= '9' && token[1] >= '0' &&
			    token[1] <= '9' && token[2] >= '0' && token[2] <= '9' && token[3] == '\0')
				print_this = 1;
		}
	} else
		print_this = 1;

	for (pn = ndo->protocol; *pn; pn++)
		ND_PRINT("%c", (*pn >= 'a' && *pn <= 'z') ? *pn - 'a' + 'A' : *pn);
	if (!print_this)
		return;
	if (ndo->vflag) {
		ND_PRINT(", length: %u", len);
		for (idx = 0; idx < len && (eol = print_txt_line(ndo, "\n\t", pptr, idx, len)) != 0;
		     idx = eol)
			;
	} else
		print_txt_line(ndo, ": ", pptr, 0, len);
}

void http_print(struct print_ctx *ndo, const uint8_t *pptr, u_int len)
{
	ndo->protocol = "http";
	txtproto_print(ndo, pptr, len, httpcmds, RESP_CODE_SECOND_TOKEN);
}

void rtsp_print(struct print_ctx *ndo, const uint8_t *pptr, u_int len)
{
	ndo->protocol = "rtsp";
	txtproto_print(ndo, pptr, len, rtspcmds, RESP_CODE_SECOND_TOKEN);
}

void ftp_print(struct print_ctx *ndo, const uint8_t *pptr, u_int len)
{
	ndo->protocol = "ftp";
	txtproto_print(ndo, pptr, len, NULL, 0);
}

void smtp_print(struct print_ctx *ndo, const uint8_t *pptr, u_int len)
{
	ndo->protocol = "smtp";
	txtproto_print(ndo, pptr, len, NULL, 0);
}

void whois_print(struct print_ctx *ndo, const uint8_t *pptr, u_int len)
{
	ndo->protocol = "whois";
	txtproto_print(ndo, pptr, len, NULL, 0);
}
