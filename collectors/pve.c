/* Proxmox VE VM configuration parser.
 *
 * Follows qemu-server's own rules (PVE::QemuServer::parse_vm_config, PVE::QemuServer::PCI,
 * PVE::Mapping::PCI) closely enough that the exporter sees what a VM start would use: only the
 * main section counts (snapshot, [PENDING] and [special:*] sections hold values that are not
 * applied), duplicate keys keep the last value, and a hostpci property string that qemu-server
 * would reject is dropped. Everything is bounded: files, lines, VMs, entries and addresses. The
 * files live on pmxcfs (a FUSE file system), not sysfs, so they are read whole with a size cap. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../exporter/attr.h"
#include "../exporter/log.h"
#include "../exporter/parse.h"
#include "../exporter/sysfs.h"
#include "../exporter/xalloc.h"
#include "pve.h"

#define MAX_PROPS 32       /* parts of one property string */
#define MAX_MAPS 4096      /* map lines kept for the local node */
#define MAX_DEVICES 4096   /* entries of sys/bus/pci/devices looked at */
#define MAX_VMID 999999999 /* qemu-server's pve-vmid: at most nine digits */
#define WHAT_MAX 128

struct map_entry {
	char id[128];
	char *path; /* ';'-separated PCI ids */
};

struct ctx {
	pve_skip_fn skip;
	void *arg;
	const char **devices; /* sorted */
	size_t ndevices;
	struct map_entry *maps;
	size_t nmaps;
};

struct prop {
	const char *key;
	char *value;
};

static void skipf(const struct ctx *x, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
skipf(const struct ctx *x, int err, const char *fmt, ...)
{
	char what[WHAT_MAX];
	va_list ap;

	if (x->skip == NULL)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	x->skip(x->arg, what, err);
}

/* Own character classes: <ctype.h> depends on the locale and is undefined for negative chars,
 * which binary garbage produces. */
static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
is_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static char
lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static char *
trim(char *s)
{
	while (is_space(*s))
		s++;
	size_t n = strlen(s);
	while (n > 0 && is_space(s[n - 1]))
		s[--n] = '\0';
	return s;
}

/* Line iterator over a buffer that need not be NUL-terminated. */
struct lines {
	const char *p;
	const char *end;
	unsigned lineno;
};

static bool
next_line(struct lines *l, const char **ret, size_t *ret_len)
{
	if (l->p >= l->end)
		return false;
	const char *nl = memchr(l->p, '\n', (size_t)(l->end - l->p));
	const char *stop = nl != NULL ? nl : l->end;
	*ret = l->p;
	*ret_len = (size_t)(stop - l->p);
	l->p = nl != NULL ? nl + 1 : l->end;
	l->lineno++;
	return true;
}

/* Copies the next usable line into buf (PVE_MAX_LINE + 1 bytes), trimmed. Overlong lines and lines
 * with NUL bytes are reported and passed over. Returns NULL at the end. */
static char *
next_text_line(const struct ctx *x, struct lines *l, char *buf, const char *file)
{
	const char *p;
	size_t len;

	while (next_line(l, &p, &len)) {
		if (len > PVE_MAX_LINE) {
			skipf(x, EFBIG, "%s:%u", file, l->lineno);
			continue;
		}
		if (memchr(p, '\0', len) != NULL) {
			skipf(x, EINVAL, "%s:%u", file, l->lineno);
			continue;
		}
		memcpy(buf, p, len);
		buf[len] = '\0';
		return trim(buf);
	}
	return NULL;
}

/* PVE::JSONSchema::parse_boolean. */
static bool
valid_bool(const char *s, bool *ret)
{
	static const char *const yes[] = {"1", "on", "yes", "true"};
	static const char *const no[] = {"0", "off", "no", "false"};

	for (size_t i = 0; i < nitems(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*ret = true;
			return true;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*ret = false;
			return true;
		}
	}
	return false;
}

/* pve-configid: ^[a-z][a-z0-9_-]+$ (case-insensitive), bounded by our storage. */
static bool
valid_configid(const char *s, size_t size)
{
	size_t n = strlen(s);

	if (n < 2 || n >= size || !is_alpha(s[0]))
		return false;
	for (size_t i = 1; i < n; i++) {
		if (!is_alpha(s[i]) && !is_digit(s[i]) && s[i] != '_' && s[i] != '-')
			return false;
	}
	return true;
}

/* ^0x[0-9a-fA-F]{4}$, the pattern of vendor-id and friends. */
static bool
valid_id16(const char *s)
{
	if (s[0] != '0' || s[1] != 'x')
		return false;
	for (int i = 2; i < 6; i++) {
		if (!is_hex(s[i]))
			return false;
	}
	return s[6] == '\0';
}

/* PVE::JSONSchema::parse_property_string: comma-separated "key=value" parts, a part without '='
 * belongs to default_key (NULL: not allowed), blank parts are ignored, a key may appear once.
 * s is split in place. Returns the number of properties or -EINVAL / -E2BIG. */
static int
split_props(char *s, const char *default_key, struct prop *props, size_t max)
{
	size_t n = 0;
	char *part = s;

	while (part != NULL) {
		char *comma = strchr(part, ',');
		if (comma != NULL)
			*comma++ = '\0';
		char *t = part;
		part = comma;
		/* Blank parts are ignored; others are taken as written, spaces included, so that
		 * " pcie=1" is the unknown key " pcie" here as it is for qemu-server. */
		if (t[strspn(t, " \t\r\f\v")] == '\0')
			continue;
		const char *key;
		char *value;
		char *eq = strchr(t, '=');
		if (eq == NULL) {
			if (default_key == NULL)
				return -EINVAL;
			key = default_key;
			value = t;
		} else {
			if (eq == t || eq[1] == '\0')
				/* "=x" or "k=": qemu-server says missing key or value. */
				return -EINVAL;
			*eq = '\0';
			key = t;
			value = eq + 1;
		}
		for (size_t i = 0; i < n; i++) {
			if (strcmp(props[i].key, key) == 0)
				return -EINVAL; /* duplicate key */
		}
		if (n == max)
			return -E2BIG;
		props[n].key = key;
		props[n].value = value;
		n++;
	}
	return (int)n;
}

/* Normalises one host PCI id ("0000:00:02.1", "00:02.1" with domain 0000 implied, "00:02" for
 * all functions) into out as "0000:00:02.1" or "0000:00:02", lower case. Returns 0 for a full
 * address, 1 for a function-less one, -EINVAL for anything else. */
static int
parse_pci_id(const char *s, size_t len, char *out, size_t size)
{
	const char *parts[3];
	size_t lens[3];
	size_t n = 0;
	const char *p = s, *end = s + len;

	while (n < 3) {
		const char *colon = memchr(p, ':', (size_t)(end - p));
		parts[n] = p;
		lens[n] = (size_t)((colon != NULL ? colon : end) - p);
		n++;
		if (colon == NULL)
			break;
		p = colon + 1;
	}
	if (n < 2 || parts[n - 1] + lens[n - 1] != end)
		return -EINVAL;
	const char *dom = "0000";
	size_t domlen = 4;
	if (n == 3) {
		dom = parts[0];
		domlen = lens[0];
		if (domlen < 4 || domlen > 8)
			return -EINVAL;
	}
	const char *bus = parts[n - 2], *dev = parts[n - 1];
	size_t devlen = lens[n - 1];
	bool whole = devlen == 2;
	if (lens[n - 2] != 2 || (devlen != 2 && (devlen != 4 || dev[2] != '.')))
		return -EINVAL;
	for (size_t i = 0; i < domlen; i++) {
		if (!is_hex(dom[i]))
			return -EINVAL;
	}
	if (!is_hex(bus[0]) || !is_hex(bus[1]) || !is_hex(dev[0]) || !is_hex(dev[1]) ||
	    (!whole && !is_hex(dev[3])))
		return -EINVAL;
	size_t total = domlen + 1 + 2 + 1 + devlen;
	if (total >= size)
		return -EINVAL;
	char *o = out;
	for (size_t i = 0; i < domlen; i++)
		*o++ = lower(dom[i]);
	*o++ = ':';
	*o++ = lower(bus[0]);
	*o++ = lower(bus[1]);
	*o++ = ':';
	for (size_t i = 0; i < devlen; i++)
		*o++ = lower(dev[i]);
	*o = '\0';
	return whole ? 1 : 0;
}

/* Checks every ';'-separated id of list; empty alternatives are ignored (Perl's split drops
 * trailing ones). Returns the number of ids or -EINVAL. */
static int
check_id_list(const char *list)
{
	char norm[32];
	int n = 0;
	const char *p = list;

	for (;;) {
		const char *semi = strchr(p, ';');
		size_t len = semi != NULL ? (size_t)(semi - p) : strlen(p);
		if (len > 0) {
			if (parse_pci_id(p, len, norm, sizeof(norm)) < 0)
				return -EINVAL;
			n++;
		}
		if (semi == NULL)
			break;
		p = semi + 1;
	}
	return n > 0 ? n : -EINVAL;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool
device_present(const struct ctx *x, const char *bdf)
{
	if (x->ndevices == 0)
		return false;
	return bsearch(&bdf, x->devices, x->ndevices, sizeof(char *), cmp_str) != NULL;
}

/* Adds one address to h unless it is already there. Returns -E2BIG when h is full. */
static int
add_address(struct pve_hostpci *h, const char *addr, bool present)
{
	for (size_t i = 0; i < h->naddresses; i++) {
		if (strcmp(h->addresses[i], addr) == 0)
			return 0;
	}
	if (h->naddresses == PVE_MAX_ADDRESSES)
		return -E2BIG;
	if (h->naddresses % 8 == 0) {
		h->addresses = xrealloc(h->addresses, (h->naddresses + 8) * sizeof(char *));
		h->present = xrealloc(h->present, (h->naddresses + 8) * sizeof(bool));
	}
	h->addresses[h->naddresses] = xstrdup(addr);
	h->present[h->naddresses] = present;
	h->naddresses++;
	return 0;
}

/* Adds every id of an already checked ';'-list, expanding function-less ids to the functions
 * present (sorted, as the device list is). */
static int
add_id_list(const struct ctx *x, struct pve_hostpci *h, const char *list)
{
	char norm[32];
	const char *p = list;
	int r = 0;

	for (;;) {
		const char *semi = strchr(p, ';');
		size_t len = semi != NULL ? (size_t)(semi - p) : strlen(p);
		int kind = len > 0 ? parse_pci_id(p, len, norm, sizeof(norm)) : -EINVAL;
		if (kind == 0) {
			r = add_address(h, norm, device_present(x, norm));
		} else if (kind == 1) {
			size_t nlen = strlen(norm);
			bool any = false;
			h->whole_device = true;
			for (size_t i = 0; i < x->ndevices && r == 0; i++) {
				const char *d = x->devices[i];
				if (strncmp(d, norm, nlen) == 0 && d[nlen] == '.' &&
				    d[nlen + 1] != '\0' && d[nlen + 2] == '\0') {
					r = add_address(h, d, true);
					any = true;
				}
			}
			if (!any && r == 0)
				r = add_address(h, norm, false);
		}
		if (r < 0 || semi == NULL)
			return r;
		p = semi + 1;
	}
}

static void
hostpci_clear(struct pve_hostpci *h)
{
	for (size_t i = 0; i < h->naddresses; i++)
		free(h->addresses[i]);
	free(h->addresses);
	free(h->present);
	memset(h, 0, sizeof(*h));
}

/* Validates a hostpci property string the way qemu-server's schema and parse_hostpci do and
 * resolves it into h (which must be empty). Returns 0, -EINVAL when the schema rejects it, or
 * -ENOENT when it names no device source (neither or both of host and mapping). */
static int
parse_hostpci(const struct ctx *x, const char *value, struct pve_hostpci *h, const char *file,
              unsigned index)
{
	char buf[PVE_MAX_LINE + 1];
	struct prop props[MAX_PROPS];
	const char *host = NULL, *mapping = NULL;
	bool pcie = false;

	(void)snprintf(h->raw, sizeof(h->raw), "%s", value);
	(void)snprintf(buf, sizeof(buf), "%s", value);
	int n = split_props(buf, "host", props, nitems(props));
	if (n < 0)
		return -EINVAL;
	for (int i = 0; i < n; i++) {
		const char *k = props[i].key, *v = props[i].value;
		bool b;
		if (strcmp(k, "host") == 0) {
			host = v;
		} else if (strcmp(k, "mapping") == 0) {
			if (!valid_configid(v, sizeof(h->mapping)))
				return -EINVAL;
			mapping = v;
		} else if (strcmp(k, "pcie") == 0) {
			if (!valid_bool(v, &pcie))
				return -EINVAL;
		} else if (strcmp(k, "x-vga") == 0 || strcmp(k, "rombar") == 0 ||
		           strcmp(k, "legacy-igd") == 0) {
			if (!valid_bool(v, &b))
				return -EINVAL;
		} else if (strcmp(k, "vendor-id") == 0 || strcmp(k, "device-id") == 0 ||
		           strcmp(k, "sub-vendor-id") == 0 || strcmp(k, "sub-device-id") == 0) {
			if (!valid_id16(v))
				return -EINVAL;
		} else if (strcmp(k, "driver") == 0) {
			if (strcmp(v, "vfio") != 0 && strcmp(v, "keep") != 0)
				return -EINVAL;
		} else if (strcmp(k, "romfile") != 0 && strcmp(k, "mdev") != 0) {
			return -EINVAL; /* unknown key: qemu-server refuses the VM */
		}
	}
	/* Exactly one of host and mapping: the schema allows both and neither, qemu-server only
	 * refuses them when the VM starts. */
	if ((host == NULL) == (mapping == NULL))
		return -ENOENT;
	if (host != NULL && check_id_list(host) < 0)
		return -EINVAL;
	h->index = index;
	h->pcie = pcie;
	int r = 0;
	if (host != NULL) {
		r = add_id_list(x, h, host);
	} else {
		(void)snprintf(h->mapping, sizeof(h->mapping), "%s", mapping);
		for (size_t i = 0; i < x->nmaps && r == 0; i++) {
			if (strcmp(x->maps[i].id, mapping) == 0)
				r = add_id_list(x, h, x->maps[i].path);
		}
	}
	if (r < 0)
		skipf(x, -r, "%s: hostpci%u: more than %d addresses", file, index,
		      PVE_MAX_ADDRESSES);
	return 0;
}

/* "hostpciN" with N in 0..15 written without leading zeros; returns N or -EINVAL. */
static int
hostpci_index(const char *key)
{
	uint64_t v;

	if (strncmp(key, "hostpci", 7) != 0)
		return -ENOENT;
	const char *d = key + 7;
	if (d[0] == '\0' || (d[0] == '0' && d[1] != '\0'))
		return -EINVAL;
	if (parse_u64(d, 10, PVE_MAX_HOSTPCI - 1, &v) < 0)
		return -EINVAL;
	return (int)v;
}

/* Splits "key: value" as qemu-server's /^([a-z][a-z_]*\d*):\s*(.+?)\s*$/ does (line is trimmed).
 * Returns false for a line that does not match. */
static bool
split_key(char *line, const char **ret_key, char **ret_value)
{
	char *p = line;

	if (!(*p >= 'a' && *p <= 'z'))
		return false;
	while ((*p >= 'a' && *p <= 'z') || *p == '_')
		p++;
	while (is_digit(*p))
		p++;
	if (*p != ':')
		return false;
	*p++ = '\0';
	while (is_space(*p))
		p++;
	if (*p == '\0')
		return false;
	*ret_key = line;
	*ret_value = p;
	return true;
}

static void
parse_vm(const struct ctx *x, const struct pve_input_vm *in, struct pve_vm *vm)
{
	char file[64], buf[PVE_MAX_LINE + 1];
	struct pve_hostpci slots[PVE_MAX_HOSTPCI];
	bool used[PVE_MAX_HOSTPCI] = {false};
	struct lines l = {in->text, in->text + in->len, 0};
	char *line;

	memset(slots, 0, sizeof(slots));
	(void)snprintf(file, sizeof(file), "etc/pve/qemu-server/%u.conf", in->vmid);
	vm->vmid = in->vmid;
	while ((line = next_text_line(x, &l, buf, file)) != NULL) {
		const char *key;
		char *value;
		if (*line == '\0' || *line == '#')
			continue; /* blank, or the description */
		if (*line == '[')
			/* [PENDING], [special:...] and snapshots are not the running config. */
			break;
		if (!split_key(line, &key, &value)) {
			skipf(x, EINVAL, "%s:%u", file, l.lineno);
			continue;
		}
		if (strcmp(key, "name") == 0) {
			(void)snprintf(vm->name, sizeof(vm->name), "%s", value);
		} else if (strcmp(key, "machine") == 0) {
			(void)snprintf(vm->machine, sizeof(vm->machine), "%s", value);
		} else if (strcmp(key, "arch") == 0) {
			(void)snprintf(vm->arch, sizeof(vm->arch), "%s", value);
		} else {
			int idx = hostpci_index(key);
			if (idx == -ENOENT)
				continue; /* a key this module does not need */
			if (idx < 0) {
				skipf(x, EINVAL, "%s:%u", file, l.lineno);
				continue;
			}
			/* A repeated key replaces the earlier value, as in qemu-server's hash; but
			 * a value its schema rejects is never stored there, so the earlier one
			 * stays. */
			struct pve_hostpci h;
			memset(&h, 0, sizeof(h));
			int r = parse_hostpci(x, value, &h, file, (unsigned)idx);
			if (r < 0) {
				hostpci_clear(&h);
				skipf(x, EINVAL, "%s: hostpci%d", file, idx);
				if (r == -EINVAL)
					continue;
			}
			hostpci_clear(&slots[idx]);
			slots[idx] = h;
			used[idx] = r == 0;
		}
	}
	size_t n = 0;
	for (size_t i = 0; i < PVE_MAX_HOSTPCI; i++)
		n += used[i] ? 1 : 0;
	if (n == 0)
		return;
	vm->hostpci = xcalloc(n, sizeof(*vm->hostpci));
	for (size_t i = 0; i < PVE_MAX_HOSTPCI; i++) {
		if (used[i])
			vm->hostpci[vm->nhostpci++] = slots[i];
	}
}

/* Handles one "\tmap node=...,path=..." property string of section id. */
static void
parse_map(struct ctx *x, const char *id, char *value, const char *node, unsigned lineno)
{
	struct prop props[MAX_PROPS];
	const char *mnode = NULL, *path = NULL;

	int n = split_props(value, NULL, props, nitems(props));
	for (int i = 0; i < n; i++) {
		if (strcmp(props[i].key, "node") == 0)
			mnode = props[i].value;
		else if (strcmp(props[i].key, "path") == 0)
			path = props[i].value;
		/* id, iommugroup, subsystem-id, description and later additions: not needed. */
	}
	if (n < 0 || mnode == NULL || path == NULL || check_id_list(path) < 0) {
		skipf(x, EINVAL, "etc/pve/mapping/pci.cfg:%u", lineno);
		return;
	}
	if (node == NULL || strcmp(mnode, node) != 0)
		return; /* another cluster node's device */
	if (x->nmaps == MAX_MAPS) {
		skipf(x, E2BIG, "etc/pve/mapping/pci.cfg:%u", lineno);
		return;
	}
	if (x->nmaps % 16 == 0)
		x->maps = xrealloc(x->maps, (x->nmaps + 16) * sizeof(*x->maps));
	struct map_entry *m = &x->maps[x->nmaps++];
	(void)snprintf(m->id, sizeof(m->id), "%s", id);
	m->path = xstrdup(path);
}

/* Section config (PVE::SectionConfig as PVE::Mapping::PCI uses it): an unindented id line starts
 * a section, indented "key value" lines belong to it, a blank line ends it, '#' lines are
 * comments. A section with an invalid id is skipped as a whole. */
static void
parse_mappings(struct ctx *x, const char *text, size_t len, const char *node)
{
	static const char file[] = "etc/pve/mapping/pci.cfg";
	char buf[PVE_MAX_LINE + 1], id[128] = "";
	struct lines l = {text, text + len, 0};
	bool in_section = false, bad_section = false;
	const char *p;
	size_t n;

	while (next_line(&l, &p, &n)) {
		if (n > PVE_MAX_LINE || memchr(p, '\0', n) != NULL) {
			skipf(x, n > PVE_MAX_LINE ? EFBIG : EINVAL, "%s:%u", file, l.lineno);
			continue;
		}
		memcpy(buf, p, n);
		buf[n] = '\0';
		if (buf[0] == '#')
			continue;
		bool indented = is_space(buf[0]);
		char *line = trim(buf);
		if (*line == '\0') {
			in_section = bad_section = false;
			continue;
		}
		if (!indented) {
			in_section = valid_configid(line, sizeof(id));
			bad_section = !in_section;
			if (in_section)
				(void)snprintf(id, sizeof(id), "%s", line);
			else
				skipf(x, EINVAL, "%s:%u", file, l.lineno);
			continue;
		}
		if (bad_section)
			continue;
		if (!in_section) {
			skipf(x, EINVAL, "%s:%u", file, l.lineno);
			continue;
		}
		char *value = line;
		while (*value != '\0' && !is_space(*value))
			value++;
		bool has_value = *value != '\0';
		if (has_value)
			*value++ = '\0';
		if (strcmp(line, "map") != 0)
			continue; /* description, mdev, live-migration-capable */
		if (!has_value) {
			skipf(x, EINVAL, "%s:%u", file, l.lineno);
			continue;
		}
		parse_map(x, id, trim(value), node, l.lineno);
	}
}

static void
vm_clear(struct pve_vm *vm)
{
	for (size_t i = 0; i < vm->nhostpci; i++)
		hostpci_clear(&vm->hostpci[i]);
	free(vm->hostpci);
}

void
pve_config_free(struct pve_config *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->nvms; i++)
		vm_clear(&c->vms[i]);
	free(c->vms);
	free(c);
}

static int
cmp_input_vm(const void *a, const void *b)
{
	unsigned x = (*(const struct pve_input_vm *const *)a)->vmid;
	unsigned y = (*(const struct pve_input_vm *const *)b)->vmid;

	return x < y ? -1 : x > y;
}

int
pve_config_parse(const struct pve_input *in, struct pve_config **ret, pve_skip_fn skip, void *arg)
{
	struct ctx x = {.skip = skip, .arg = arg};
	const struct pve_input_vm **order = NULL;
	struct pve_config *c = xcalloc(1, sizeof(*c));

	c->found = true;
	if (in->node != NULL)
		(void)snprintf(c->node, sizeof(c->node), "%s", in->node);
	if (in->ndevices > 0) {
		x.devices = xcalloc(in->ndevices, sizeof(char *));
		memcpy(x.devices, in->devices, in->ndevices * sizeof(char *));
		qsort(x.devices, in->ndevices, sizeof(char *), cmp_str);
		x.ndevices = in->ndevices;
	}
	if (in->mapping_text != NULL)
		parse_mappings(&x, in->mapping_text, in->mapping_len,
		               c->node[0] != '\0' ? c->node : NULL);
	if (in->nvms > 0) {
		order = xcalloc(in->nvms, sizeof(*order));
		for (size_t i = 0; i < in->nvms; i++)
			order[i] = &in->vms[i];
		qsort(order, in->nvms, sizeof(*order), cmp_input_vm);
		c->vms = xcalloc(in->nvms < PVE_MAX_VMS ? in->nvms : PVE_MAX_VMS, sizeof(*c->vms));
	}
	for (size_t i = 0; i < in->nvms; i++) {
		const struct pve_input_vm *v = order[i];
		if (v->vmid == 0 || v->vmid > MAX_VMID) {
			skipf(&x, ERANGE, "etc/pve/qemu-server/%u.conf", v->vmid);
			continue;
		}
		if (c->nvms > 0 && c->vms[c->nvms - 1].vmid == v->vmid) {
			skipf(&x, EEXIST, "etc/pve/qemu-server/%u.conf", v->vmid);
			continue;
		}
		if (c->nvms == PVE_MAX_VMS) {
			skipf(&x, E2BIG, "etc/pve/qemu-server: more than %d VMs", PVE_MAX_VMS);
			break;
		}
		parse_vm(&x, v, &c->vms[c->nvms++]);
	}
	for (size_t i = 0; i < x.nmaps; i++)
		free(x.maps[i].path);
	free(x.maps);
	free(x.devices);
	free(order);
	*ret = c;
	return 0;
}

unsigned
pve_vm_for_address(const struct pve_config *c, const char *bdf)
{
	if (c == NULL || bdf == NULL)
		return 0;
	for (size_t i = 0; i < c->nvms; i++) {
		const struct pve_vm *vm = &c->vms[i];
		for (size_t j = 0; j < vm->nhostpci; j++) {
			const struct pve_hostpci *h = &vm->hostpci[j];
			for (size_t k = 0; k < h->naddresses; k++) {
				if (strcmp(h->addresses[k], bdf) == 0)
					return vm->vmid;
			}
		}
	}
	return 0;
}

void
pve_machine_type(const struct pve_vm *vm, char *buf, size_t size)
{
	char tmp[sizeof(vm->machine)];
	struct prop props[MAX_PROPS];
	const char *type = NULL;

	(void)snprintf(tmp, sizeof(tmp), "%s", vm->machine);
	int n = split_props(tmp, "type", props, nitems(props));
	for (int i = 0; i < n; i++) {
		if (strcmp(props[i].key, "type") == 0)
			type = props[i].value;
	}
	if (n < 0 && vm->machine[0] != '\0')
		type = vm->machine; /* unparsable: show it as written */
	if (type == NULL)
		type = strcmp(vm->arch, "aarch64") == 0 ? "virt" : "i440fx";
	(void)snprintf(buf, size, "%s", type);
}

static bool
valid_node(const char *s)
{
	if (s[0] == '\0')
		return false;
	for (; *s != '\0'; s++) {
		if (!is_alpha(*s) && !is_digit(*s) && *s != '-')
			return false;
	}
	return true;
}

/* The local node name as qemu-server sees it (nodename: the short host name): the first label of
 * the first non-comment line of etc/hostname, else the target of pmxcfs's etc/pve/local link.
 * Returns true when the name came from etc/hostname. */
static bool
read_node(int root_fd, char *node, size_t size, pve_skip_fn skip, void *arg)
{
	char buf[256];
	int err = ENOENT;

	ssize_t n = sysfs_read_str(root_fd, "etc/hostname", buf, sizeof(buf));
	if (n >= 0 && (size_t)n == strlen(buf)) {
		char *line = buf;
		err = EINVAL;
		while (line != NULL) {
			char *nl = strchr(line, '\n');
			if (nl != NULL)
				*nl++ = '\0';
			line = trim(line);
			if (*line != '\0' && *line != '#') {
				line[strcspn(line, ".")] = '\0';
				if (valid_node(line) && strlen(line) < size) {
					memcpy(node, line, strlen(line) + 1);
					return true;
				}
				break;
			}
			line = nl;
		}
	} else {
		err = n < 0 ? (int)-n : EINVAL; /* unreadable, or a NUL byte in it */
	}
	if (skip != NULL)
		skip(arg, "etc/hostname", err);
	n = sysfs_link_name(root_fd, "etc/pve/local", buf, sizeof(buf));
	if (n > 0 && valid_node(buf) && (size_t)n < size)
		memcpy(node, buf, (size_t)n + 1);
	return false;
}

/* NULL-safe, as destructors are: v is NULL until the first entry is stored. */
static void
free_strv(char **v, size_t n)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* "<vmid>.conf" with 1..9 digits and no leading zero (qemu-server never writes one, and it
 * would alias another file's vmid). Returns the vmid, 0 for a name that is not a VM config at
 * all, -ERANGE for one that looks like a config but has an impossible vmid. */
static long
conf_vmid(const char *name)
{
	char digits[16];
	uint64_t v;
	size_t n = 0;

	while (is_digit(name[n]))
		n++;
	if (n == 0 || strcmp(name + n, ".conf") != 0)
		return 0;
	if (n >= sizeof(digits) || name[0] == '0')
		return -ERANGE;
	memcpy(digits, name, n);
	digits[n] = '\0';
	if (parse_u64(digits, 10, MAX_VMID, &v) < 0)
		return -ERANGE;
	return (long)v;
}

static int
cmp_unsigned(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

	return x < y ? -1 : x > y;
}

/* --- Loading, with what was read kept between loads ---------------------------------------
 *
 * A load lists etc/pve/qemu-server and sys/bus/pci/devices and stats each file it needs; a file
 * whose identity (device, inode, size, mtime and ctime, nanoseconds included) is what it was
 * when last read is not read again, and when no input changed at all the parsed config of the
 * last load is used again (its skipped values replayed). pmxcfs writes a config as a new file
 * renamed over the old one, so every qm set changes the inode; an in-place rewrite that keeps
 * the size within one timestamp tick is the one change this misses, and every file is read
 * again once it is PVE_CACHE_MAX_AGE_NS old anyway. Device presence comes from the listing's
 * names; every address a config calls present is checked to resolve to a directory (one
 * fstatat() each) when anything changed or PVE_DEVICE_CHECK_NS after the last check, and a name
 * that does not (only a broken tree has one) switches to checking every name on every load, as
 * the listing did before it was cached. */
struct file_id {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	struct timespec ctime;
};

/* One file as last read. Only outcomes that follow from the identity are kept: the text, or
 * EFBIG for the limit it was read with; other failures are tried again by the next load. */
struct memo {
	bool valid;
	struct file_id id;
	int64_t read_ns;
	size_t read_max; /* the size limit of that read */
	int err;         /* EFBIG, or 0 with text */
	char *text;
	size_t len;
};

struct vm_memo {
	unsigned vmid;
	struct memo m;
};

struct note {
	char *what;
	int err;
};

/* Generations of device listings, unique in the process (pve_config.devices_gen). */
static _Atomic uint64_t devices_gens;

struct pve_cache {
	bool valid; /* the fields below describe the etc/pve with this identity */
	dev_t pve_dev;
	ino_t pve_ino;
	struct memo hostname; /* valid when the node name came from it */
	char node[64];
	struct memo mapping;
	bool have_mapping;
	struct vm_memo *vms; /* of the last load, sorted by vmid */
	size_t nvms;
	unsigned *used_ids; /* vmids whose text went into the parse */
	size_t nused_ids;
	char **names; /* sys/bus/pci/devices entries that may be devices, sorted */
	size_t nnames;
	uint64_t names_sig;  /* of the names and their inodes */
	uint64_t devices_gen; /* the generation given to that listing */
	int64_t verified_ns; /* when the addresses in use were last checked to resolve */
	bool checking_all; /* some name did not resolve: devices are names that stat as dirs */
	char **devices;    /* what the parse was given */
	size_t ndevices;
	struct pve_config *parsed;
	struct note *notes; /* the parse's skipped values, replayed on every load that uses it */
	size_t nnotes;
};

static void
memo_clear(struct memo *m)
{
	free(m->text);
	memset(m, 0, sizeof(*m));
}

static void
notes_clear(struct pve_cache *c)
{
	for (size_t i = 0; i < c->nnotes; i++)
		free(c->notes[i].what);
	free(c->notes);
	c->notes = NULL;
	c->nnotes = 0;
}

static void
vms_clear(struct vm_memo *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		memo_clear(&v[i].m);
	free(v);
}

/* Forgets everything (another tree, or a failed load). */
static void
cache_reset(struct pve_cache *c)
{
	memo_clear(&c->hostname);
	memo_clear(&c->mapping);
	vms_clear(c->vms, c->nvms);
	free(c->used_ids);
	free_strv(c->names, c->nnames);
	free_strv(c->devices, c->ndevices);
	pve_config_free(c->parsed);
	notes_clear(c);
	memset(c, 0, sizeof(*c));
}

struct pve_cache *
pve_cache_new(void)
{
	return xcalloc(1, sizeof(struct pve_cache));
}

void
pve_cache_free(struct pve_cache *c)
{
	if (c == NULL)
		return;
	cache_reset(c);
	free(c);
}

static void
file_id_of(const struct stat *st, struct file_id *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->dev = st->st_dev;
	ret->ino = st->st_ino;
	ret->size = st->st_size;
	ret->mtime = st->st_mtim;
	ret->ctime = st->st_ctim;
}

static bool
file_id_eq(const struct file_id *a, const struct file_id *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec &&
	       a->ctime.tv_sec == b->ctime.tv_sec && a->ctime.tv_nsec == b->ctime.tv_nsec;
}

/* The text of the regular file rel below dirfd, at most max bytes: from m when the file is the
 * one m was read from, else read (and *changed set). Returns 0 with the text in m, or -errno
 * (-EFBIG: over max; -EINVAL: not a regular file) as sysfs_read_file() would. */
static int
memo_read(int dirfd, const char *rel, size_t max, struct memo *m, int64_t now, bool *changed)
{
	struct stat st;
	struct file_id id;
	char *text = NULL;

	if (fstatat(dirfd, rel, &st, 0) < 0) {
		int r = -errno;
		*changed |= m->valid;
		memo_clear(m);
		return r;
	}
	if (!S_ISREG(st.st_mode)) {
		*changed |= m->valid;
		memo_clear(m);
		return -EINVAL; /* never opened: a FIFO must not block */
	}
	file_id_of(&st, &id);
	if (m->valid && file_id_eq(&m->id, &id) && now - m->read_ns < PVE_CACHE_MAX_AGE_NS &&
	    now >= m->read_ns) {
		if (m->err == 0)
			return m->len > max ? -EFBIG : 0;
		if (max <= m->read_max)
			return -EFBIG;
	}
	*changed = true;
	memo_clear(m);
	ssize_t n = sysfs_read_file(dirfd, rel, max, &text);
	if (n < 0 && n != -EFBIG)
		return (int)n;
	m->valid = true;
	m->id = id;
	m->read_ns = now;
	m->read_max = max;
	if (n < 0) {
		m->err = EFBIG;
		return -EFBIG;
	}
	m->text = text;
	m->len = (size_t)n;
	return 0;
}

static bool
strv_eq(char *const *a, size_t na, char *const *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++) {
		if (strcmp(a[i], b[i]) != 0)
			return false;
	}
	return true;
}

static int
cmp_strp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct name_list {
	char **v;
	size_t n;
	uint64_t sig; /* of every (name, inode) listed, in any order */
};

/* FNV-1a of a name and an inode number, for the listing's signature. */
static uint64_t
entry_hash(const char *name, ino_t ino)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (const char *p = name; *p != '\0'; p++) {
		h ^= (unsigned char)*p;
		h *= 0x100000001b3ULL;
	}
	for (size_t i = 0; i < sizeof(ino); i++) {
		h ^= (uint64_t)(ino >> (8 * i)) & 0xff;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static void
on_device(void *arg, const char *name, ino_t ino, unsigned char type)
{
	struct name_list *l = arg;

	/* Links (sysfs) and directories may be devices; other types cannot resolve to one. */
	if (name[0] == '.' || strlen(name) >= 32 || l->n == MAX_DEVICES ||
	    (type != DT_LNK && type != DT_DIR && type != DT_UNKNOWN))
		return;
	if (l->n % 32 == 0)
		l->v = xrealloc(l->v, (l->n + 32) * sizeof(char *));
	l->v[l->n++] = xstrdup(name);
	/* Sums do not depend on the order; a device added again is a new entry (another inode). */
	l->sig += entry_hash(name, ino);
}

/* The names under sys/bus/pci/devices that may be devices, sorted; none without the directory. */
static int
list_names(int sys_fd, int64_t now, struct name_list *ret)
{
	struct attr_dir d;
	struct name_list l = {NULL, 0, 0};

	attr_dir_init(&d, sys_fd, "bus/pci/devices");
	int r = attr_dir_list(&d, now, on_device, &l);
	attr_dir_fini(&d);
	if (r < 0 && r != -ENOENT) {
		free_strv(l.v, l.n);
		return r;
	}
	if (l.n > 1)
		qsort(l.v, l.n, sizeof(char *), cmp_strp);
	*ret = l;
	return 0;
}

static bool
resolves_to_dir(int sys_fd, const char *name)
{
	char rel[64];
	struct stat st;

	(void)snprintf(rel, sizeof(rel), "bus/pci/devices/%s", name);
	return fstatat(sys_fd, rel, &st, 0) == 0 && S_ISDIR(st.st_mode);
}

/* The names that resolve to a directory: one fstatat() each. */
static void
filter_names(int sys_fd, char *const *names, size_t n, struct name_list *ret)
{
	struct name_list l = {NULL, 0, 0};

	for (size_t i = 0; i < n; i++) {
		if (!resolves_to_dir(sys_fd, names[i]))
			continue;
		if (l.n % 32 == 0)
			l.v = xrealloc(l.v, (l.n + 32) * sizeof(char *));
		l.v[l.n++] = xstrdup(names[i]);
	}
	*ret = l;
}

/* Every address the config calls present resolves to a directory (one fstatat() each). */
static bool
present_ok(int sys_fd, const struct pve_config *cfg)
{
	for (size_t i = 0; i < cfg->nvms; i++) {
		const struct pve_vm *vm = &cfg->vms[i];
		for (size_t j = 0; j < vm->nhostpci; j++) {
			const struct pve_hostpci *h = &vm->hostpci[j];
			for (size_t k = 0; k < h->naddresses; k++) {
				if (h->present[k] && !resolves_to_dir(sys_fd, h->addresses[k]))
					return false;
			}
		}
	}
	return true;
}

struct vmid_list {
	unsigned *ids;
	size_t n;
	bool more;
	pve_skip_fn skip;
	void *arg;
};

/* Keeps the lowest PVE_MAX_VMS vmids of the config files listed. */
static void
on_conf(void *arg, const char *name, ino_t ino, unsigned char type)
{
	struct vmid_list *l = arg;

	(void)ino;
	(void)type;
	long v = conf_vmid(name);
	if (v < 0) {
		char what[WHAT_MAX];
		(void)snprintf(what, sizeof(what), "etc/pve/qemu-server/%.64s", name);
		if (l->skip != NULL)
			l->skip(l->arg, what, ERANGE);
		return;
	}
	if (v == 0)
		return; /* not a VM config (lock or temporary files, editor backups) */
	if (l->n < PVE_MAX_VMS) {
		l->ids[l->n++] = (unsigned)v;
		return;
	}
	l->more = true;
	size_t max = 0;
	for (size_t i = 1; i < l->n; i++)
		max = l->ids[i] > l->ids[max] ? i : max;
	if ((unsigned)v < l->ids[max])
		l->ids[max] = (unsigned)v;
}

static void
record_note(void *arg, const char *what, int err)
{
	struct pve_cache *c = arg;

	if (c->nnotes % 16 == 0)
		c->notes = xrealloc(c->notes, (c->nnotes + 16) * sizeof(*c->notes));
	c->notes[c->nnotes].what = xstrdup(what);
	c->notes[c->nnotes].err = err;
	c->nnotes++;
}

/* Parses the kept texts with devices (taken over), replacing the parsed config and its notes. */
static void
reparse(struct pve_cache *c, const struct pve_input_vm *vms, size_t nvms, struct name_list *devices)
{
	struct pve_input in = {0};

	pve_config_free(c->parsed);
	c->parsed = NULL;
	notes_clear(c);
	free_strv(c->devices, c->ndevices);
	c->devices = devices->v;
	c->ndevices = devices->n;
	in.node = c->node;
	in.mapping_text = c->have_mapping ? c->mapping.text : NULL;
	in.mapping_len = c->have_mapping ? c->mapping.len : 0;
	in.vms = vms;
	in.nvms = nvms;
	in.devices = (const char *const *)c->devices;
	in.ndevices = c->ndevices;
	(void)pve_config_parse(&in, &c->parsed, record_note, c);
}

static struct vm_memo *
find_vm(struct vm_memo *v, size_t n, unsigned vmid)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v[mid].vmid == vmid)
			return &v[mid];
		if (v[mid].vmid < vmid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* The VM configs: listed, each stat'ed, read when new or changed. Fills vms (texts borrowed from
 * the new memos) and sets *changed when the set of texts differs from the last load. */
static int
load_vms(struct pve_cache *c, int root_fd, int64_t now, struct pve_input_vm **ret_vms,
	 size_t *ret_n, bool *changed, pve_skip_fn skip, void *arg)
{
	struct attr_dir d;
	struct vmid_list l = {.skip = skip, .arg = arg};
	struct vm_memo *memos = NULL;
	struct pve_input_vm *vms = NULL;
	unsigned *used = NULL;
	size_t nmemos = 0, nvms = 0;

	/* qemu-server is pmxcfs's link to nodes/<node>/qemu-server: this node's VMs only. A mounted
	 * etc/pve without it (pmxcfs not running) simply has no VMs. */
	attr_dir_init(&d, root_fd, "etc/pve/qemu-server");
	l.ids = xcalloc(PVE_MAX_VMS, sizeof(*l.ids));
	int r = attr_dir_list(&d, now, on_conf, &l);
	if (r < 0 && r != -ENOENT)
		goto out;
	r = 0;
	if (l.more && skip != NULL)
		skip(arg, "etc/pve/qemu-server: more than 1024 VMs", E2BIG);
	if (l.n > 1)
		qsort(l.ids, l.n, sizeof(*l.ids), cmp_unsigned);
	memos = xcalloc(l.n > 0 ? l.n : 1, sizeof(*memos));
	vms = xcalloc(l.n > 0 ? l.n : 1, sizeof(*vms));
	used = xcalloc(l.n > 0 ? l.n : 1, sizeof(*used));
	size_t left = PVE_MAX_CONFIGS_TOTAL;
	for (size_t i = 0; i < l.n; i++) {
		char name[32];
		size_t max = left < PVE_MAX_FILE ? left : PVE_MAX_FILE;
		struct vm_memo *old = find_vm(c->vms, c->nvms, l.ids[i]);
		struct vm_memo *m = &memos[nmemos++];
		m->vmid = l.ids[i];
		if (old != NULL) {
			m->m = old->m; /* taken over */
			memset(&old->m, 0, sizeof(old->m));
		}
		(void)snprintf(name, sizeof(name), "%u.conf", l.ids[i]);
		int e = memo_read(d.fd, name, max, &m->m, now, changed);
		if (e == -EFBIG && max < PVE_MAX_FILE) {
			if (skip != NULL)
				skip(arg, "etc/pve/qemu-server: more than 16 MiB of VM configs", E2BIG);
			break;
		}
		if (e < 0) {
			char what[WHAT_MAX];
			(void)snprintf(what, sizeof(what), "etc/pve/qemu-server/%s", name);
			if (skip != NULL)
				skip(arg, what, -e);
			continue;
		}
		left -= m->m.len;
		vms[nvms].vmid = l.ids[i];
		vms[nvms].text = m->m.text;
		vms[nvms].len = m->m.len;
		used[nvms] = l.ids[i];
		nvms++;
	}
	if (nvms != c->nused_ids ||
	    (nvms > 0 && memcmp(used, c->used_ids, nvms * sizeof(*used)) != 0))
		*changed = true;
	vms_clear(c->vms, c->nvms);
	c->vms = memos;
	c->nvms = nmemos;
	memos = NULL;
	free(c->used_ids);
	c->used_ids = used;
	c->nused_ids = nvms;
	used = NULL;
	*ret_vms = vms;
	*ret_n = nvms;
	vms = NULL;
out:
	attr_dir_fini(&d);
	free(l.ids);
	free(memos);
	free(vms);
	free(used);
	return r;
}

/* The node name: from the kept one while etc/hostname is the file it came from. */
static bool
load_node(struct pve_cache *c, int root_fd, int64_t now, pve_skip_fn skip, void *arg)
{
	struct stat st;
	struct file_id id;
	char node[64] = "";

	bool have = fstatat(root_fd, "etc/hostname", &st, 0) == 0 && S_ISREG(st.st_mode);
	if (have)
		file_id_of(&st, &id);
	if (have && c->hostname.valid && file_id_eq(&c->hostname.id, &id) &&
	    now - c->hostname.read_ns < PVE_CACHE_MAX_AGE_NS && now >= c->hostname.read_ns)
		return false;
	memo_clear(&c->hostname);
	if (read_node(root_fd, node, sizeof(node), skip, arg) && have) {
		c->hostname.valid = true;
		c->hostname.id = id;
		c->hostname.read_ns = now;
	}
	bool changed = strcmp(node, c->node) != 0;
	memcpy(c->node, node, sizeof(node));
	return changed;
}

int
pve_cache_load(struct pve_cache *c, int root_fd, int sys_fd, int64_t now_ns,
	       const struct pve_config **ret, pve_skip_fn skip, void *arg)
{
	struct stat st;
	struct name_list names = {NULL, 0, 0}, devices = {NULL, 0, 0};
	struct pve_input_vm *vms = NULL;
	size_t nvms = 0;
	int r;

	if (fstatat(root_fd, "etc/pve", &st, 0) < 0) {
		r = -errno;
		cache_reset(c);
		if (r != -ENOENT)
			return r;
		c->parsed = xcalloc(1, sizeof(*c->parsed)); /* not a Proxmox VE host */
		*ret = c->parsed;
		return 0;
	}
	if (!S_ISDIR(st.st_mode)) {
		cache_reset(c);
		return -ENOTDIR;
	}
	if (!c->valid || st.st_dev != c->pve_dev || st.st_ino != c->pve_ino) {
		cache_reset(c);
		c->valid = true;
		c->pve_dev = st.st_dev;
		c->pve_ino = st.st_ino;
	}
	bool changed = c->parsed == NULL || !c->parsed->found;
	r = list_names(sys_fd, now_ns, &names);
	if (r < 0)
		goto fail;
	changed |= load_node(c, root_fd, now_ns, skip, arg);
	bool mapping_changed = false;
	r = memo_read(root_fd, "etc/pve/mapping/pci.cfg", PVE_MAX_FILE, &c->mapping, now_ns,
		      &mapping_changed);
	if (r < 0 && r != -ENOENT && skip != NULL)
		skip(arg, "etc/pve/mapping/pci.cfg", -r);
	changed |= mapping_changed || (r == 0) != c->have_mapping;
	c->have_mapping = r == 0;
	r = load_vms(c, root_fd, now_ns, &vms, &nvms, &changed, skip, arg);
	if (r < 0)
		goto fail;

	/* Devices: the names, unless some name was found not to resolve; then the names that do. */
	bool names_changed = !strv_eq(names.v, names.n, c->names, c->nnames);
	bool entries_changed = names_changed || names.sig != c->names_sig || c->devices_gen == 0;
	if (entries_changed)
		c->devices_gen = atomic_fetch_add(&devices_gens, 1) + 1;
	c->names_sig = names.sig;
	free_strv(c->names, c->nnames);
	c->names = names.v;
	c->nnames = names.n;
	names.v = NULL;
	if (c->checking_all) {
		filter_names(sys_fd, c->names, c->nnames, &devices);
		c->checking_all = devices.n != c->nnames;
		if (changed || !strv_eq(devices.v, devices.n, c->devices, c->ndevices)) {
			reparse(c, vms, nvms, &devices);
			devices.v = NULL;
		}
	} else if (changed || names_changed) {
		for (size_t i = 0; i < c->nnames; i++) {
			if (devices.n % 32 == 0)
				devices.v = xrealloc(devices.v, (devices.n + 32) * sizeof(char *));
			devices.v[devices.n++] = xstrdup(c->names[i]);
		}
		reparse(c, vms, nvms, &devices);
		devices.v = NULL;
	}
	/* A listed name whose link does not resolve: kernfs removes a device's bus link before its
	 * directory, so only a broken tree has one, and looking for one at every load would cost a
	 * fstatat() per address in use. Done when anything changed, else every PVE_DEVICE_CHECK_NS. */
	if (!c->checking_all &&
	    (changed || entries_changed || now_ns - c->verified_ns >= PVE_DEVICE_CHECK_NS ||
	     now_ns < c->verified_ns)) {
		c->verified_ns = now_ns;
		if (!present_ok(sys_fd, c->parsed)) {
			c->checking_all = true;
			devices.n = 0;
			filter_names(sys_fd, c->names, c->nnames, &devices);
			reparse(c, vms, nvms, &devices);
			devices.v = NULL;
		}
	}
	c->parsed->devices_gen = c->devices_gen;
	free_strv(devices.v, devices.n);
	free(vms);
	if (skip != NULL) {
		for (size_t i = 0; i < c->nnotes; i++)
			skip(arg, c->notes[i].what, c->notes[i].err);
	}
	*ret = c->parsed;
	return 0;
fail:
	free_strv(names.v, names.n);
	free(vms);
	cache_reset(c);
	return r;
}

int
pve_config_load(int root_fd, int sys_fd, struct pve_config **ret, pve_skip_fn skip, void *arg)
{
	struct pve_cache *c = pve_cache_new();
	const struct pve_config *cfg;

	int r = pve_cache_load(c, root_fd, sys_fd, monotonic_ns(), &cfg, skip, arg);
	if (r == 0) {
		*ret = c->parsed; /* taken over from the cache */
		c->parsed = NULL;
	}
	pve_cache_free(c);
	return r;
}

const struct pve_config *
pve_config_for_scrape(int root_fd, int sys_fd, uint64_t scrape_id, pve_skip_fn skip, void *arg,
		      int *ret_err)
{
	static struct pve_cache cache;
	static const struct pve_config *current;
	static uint64_t current_id;
	static int current_err;

	if (current_id != scrape_id) {
		current = NULL;
		current_err = pve_cache_load(&cache, root_fd, sys_fd, monotonic_ns(), &current, skip,
					     arg);
		if (current_err > 0)
			current_err = 0;
		current_id = scrape_id;
	}
	*ret_err = current_err;
	return current;
}
