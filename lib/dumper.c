/* dumper.c - pcap files: libpcap writes the file header (it knows how each
 * DLT is spelled as a LINKTYPE on disk), we write the records ourselves.
 *
 * A record is a 16-byte header and the packet, so writing them needs no
 * stdio: records are either copied into our buffer (sniff_dumper__write, the
 * caller's data lives only during the call) or referenced where they lie
 * (dumper_add_ref_ts, used by the capture loop on ring data that stays put until
 * dumper_commit, with the record header written into the ring just in front
 * of the packet) and written with one writev per batch. Either way every
 * write(2) carries whole records, so a reader that opens the file after any
 * flush reads it to its last packet, even if the writer then dies. Writing to
 * stdout (or with packet buffering, tcpdump -U) flushes after every record.
 */
#include "config.h"
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/uio.h>
#include <pcap/pcap.h>
#include "lib.h"

#define BUF_SZ (1u << 20)                  /* copied records */
/* Records referenced in the ring per writev: one iovec each, and 512 iovecs
 * (8 KiB) are what the kernel still copies into a slab object; 1024 made every
 * writev allocate and clear pages. */
#define REF_MAX 512

struct rec_hdr {                           /* struct pcap_sf_pkthdr, host order */
	uint32_t sec, frac, caplen, len;
};

struct sniff_dumper {
	pcap_t *dead;
	pcap_dumper_t *d;
	FILE *fp;
	int fd;
	int nano;
	int packet_buffered;
	int err;                               /* sticky -errno of a failed write */
	uint8_t *buf;
	size_t used;
	unsigned nref;                         /* referenced records pending */
	struct iovec iov[REF_MAX];
};

static void set_err(char *errbuf, size_t sz, const char *fmt, const char *a, const char *b)
{
	if (errbuf && sz)
		snprintf(errbuf, sz, fmt, a, b);
}

struct sniff_dumper *sniff_dumper__open(const char *path, int linktype, uint32_t snaplen,
					int nano, char *errbuf, size_t errbuf_sz)
{
	struct sniff_dumper *d;
	int err;

	if (errbuf && errbuf_sz)
		errbuf[0] = 0;
	if (!path || linktype < 0) {
		errno = EINVAL;
		return NULL;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->nano = !!nano;
	d->dead = pcap_open_dead_with_tstamp_precision(linktype, (int)(snaplen ? snaplen :
						       SNIFF_DEFAULT_SNAPLEN),
						       nano ? PCAP_TSTAMP_PRECISION_NANO :
						       PCAP_TSTAMP_PRECISION_MICRO);
	d->buf = malloc(BUF_SZ);
	if (!d->dead || !d->buf) {
		err = ENOMEM;
		goto fail;
	}
	if (strcmp(path, "-") == 0) {
		d->fp = stdout;
		d->packet_buffered = 1;
	} else {
		d->fp = fopen(path, "wb");
		if (!d->fp) {
			err = errno;
			set_err(errbuf, errbuf_sz, "%s: %s", path, strerror(err));
			goto fail;
		}
	}
	d->fd = fileno(d->fp);
	d->d = pcap_dump_fopen(d->dead, d->fp);
	if (!d->d) {
		err = EIO;
		set_err(errbuf, errbuf_sz, "%s: %s", path, pcap_geterr(d->dead));
		goto fail;
	}
	/* The file header now, so that an empty file is valid; from here on the
	 * FILE stays empty and records go straight to the descriptor. */
	if (pcap_dump_flush(d->d) < 0) {
		err = errno ? errno : EIO;
		set_err(errbuf, errbuf_sz, "%s: %s", path, strerror(err));
		goto fail;
	}
	return d;
fail:
	if (errbuf && errbuf_sz && !errbuf[0])
		set_err(errbuf, errbuf_sz, "%s: %s", path, strerror(err));
	lib_log(SNIFF_LOG_ERROR, "%s: cannot write: %s", path, strerror(err));
	if (d->d)
		pcap_dump_close(d->d); /* closes fp */
	else if (d->fp && d->fp != stdout)
		fclose(d->fp);
	if (d->dead)
		pcap_close(d->dead);
	free(d->buf);
	free(d);
	errno = err;
	return NULL;
}

/* writev until everything is out: a pipe or a signal may cut a write short. */
static int write_all(struct sniff_dumper *d, struct iovec *iov, int cnt)
{
	while (cnt > 0) {
		ssize_t n = writev(d->fd, iov, cnt > IOV_MAX ? IOV_MAX : cnt);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			d->err = -errno;
			return d->err;
		}
		while (cnt > 0 && (size_t)n >= iov->iov_len) {
			n -= (ssize_t)iov->iov_len;
			iov++;
			cnt--;
		}
		if (cnt > 0) {
			iov->iov_base = (uint8_t *)iov->iov_base + n;
			iov->iov_len -= (size_t)n;
		}
	}
	return 0;
}

/* A record header from the time as seconds and nanoseconds (the file's
 * precision decides the fraction). */
static struct rec_hdr rec_of(const struct sniff_dumper *d, uint32_t sec, uint32_t nsec,
			     uint32_t caplen, uint32_t len)
{
	return (struct rec_hdr){ sec, d->nano ? nsec : nsec / 1000, caplen, len };
}

static void fill_hdr(const struct sniff_dumper *d, struct rec_hdr *r,
		     const struct sniff_pkthdr *hdr)
{
	*r = rec_of(d, (uint32_t)(hdr->ts_ns / 1000000000u), (uint32_t)(hdr->ts_ns % 1000000000u),
		    hdr->caplen, hdr->len);
}

/* Copied records first: they were handed over before the referenced ones. */
int dumper_commit(struct sniff_dumper *d)
{
	int err;

	if (d->err)
		return d->err;
	if (d->used) {
		struct iovec v = { d->buf, d->used };

		d->used = 0;
		err = write_all(d, &v, 1);
		if (err)
			return err;
	}
	if (d->nref) {
		unsigned n = d->nref;

		d->nref = 0;
		return write_all(d, d->iov, (int)n);
	}
	return 0;
}

void dumper_put_hdr(const struct sniff_dumper *d, uint32_t sec, uint32_t nsec, uint32_t caplen,
		    uint32_t len, uint8_t *data)
{
	struct rec_hdr r = rec_of(d, sec, nsec, caplen, len);

	/* The header goes in the DUMPER_ROOM bytes the ring leaves in front of
	 * the packet, so that header and data are one piece of memory. */
	memcpy(data - sizeof(r), &r, sizeof(r));
}

int dumper_add_rec(struct sniff_dumper *d, uint8_t *data, uint32_t caplen)
{
	unsigned i = d->nref;

	d->iov[i].iov_base = data - sizeof(struct rec_hdr);
	d->iov[i].iov_len = sizeof(struct rec_hdr) + caplen;
	d->nref = i + 1;
	if (d->err)
		return d->err;
	/* The caller commits: it must give the ring blocks back after that. */
	return d->nref == REF_MAX || d->packet_buffered;
}

int dumper_add_ref_ts(struct sniff_dumper *d, uint32_t sec, uint32_t nsec, uint32_t caplen,
		      uint32_t len, uint8_t *data)
{
	dumper_put_hdr(d, sec, nsec, caplen, len, data);
	return dumper_add_rec(d, data, caplen);
}

int sniff_dumper__flush(struct sniff_dumper *d)
{
	if (!d)
		return -EINVAL;
	return dumper_commit(d);
}

int sniff_dumper__set_packet_buffered(struct sniff_dumper *d, int on)
{
	if (!d)
		return -EINVAL;
	d->packet_buffered = !!on || d->fp == stdout;
	return 0;
}

int sniff_dumper__write(struct sniff_dumper *d, const struct sniff_pkthdr *hdr,
			const uint8_t *data)
{
	size_t rec;
	int err;

	if (!d || !hdr || (!data && hdr->caplen))
		return -EINVAL;
	if (d->err)
		return d->err;
	rec = sizeof(struct rec_hdr) + hdr->caplen;
	if (d->nref || d->used + rec > BUF_SZ) {
		err = dumper_commit(d);
		if (err)
			return err;
	}
	if (rec > BUF_SZ) {
		struct rec_hdr r;
		struct iovec v[2] = { { &r, sizeof(r) }, { (void *)(uintptr_t)data, hdr->caplen } };

		fill_hdr(d, &r, hdr);
		return write_all(d, v, 2);
	}
	{
		struct rec_hdr r; /* the buffer position is not aligned */

		fill_hdr(d, &r, hdr);
		memcpy(d->buf + d->used, &r, sizeof(r));
	}
	memcpy(d->buf + d->used + sizeof(struct rec_hdr), data, hdr->caplen);
	d->used += rec;
	if (d->packet_buffered)
		return dumper_commit(d);
	return 0;
}

int sniff_dumper__close(struct sniff_dumper *d)
{
	int err;

	if (!d)
		return -EINVAL;
	err = dumper_commit(d);
	if ((pcap_dump_flush(d->d) < 0 || ferror(d->fp)) && !err)
		err = errno ? -errno : -EIO;
	/* libpcap's pcap_dumper_t is the FILE itself: for stdout there is nothing
	 * to free, and stdout stays open for the caller. */
	if (d->fp != stdout)
		pcap_dump_close(d->d); /* fclose */
	pcap_close(d->dead);
	free(d->buf);
	free(d);
	return err;
}
